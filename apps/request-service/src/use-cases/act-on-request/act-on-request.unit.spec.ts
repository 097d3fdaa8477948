import type { Principal } from '@kairos/auth';
import { isAccessRequestError } from '@kairos/access-request-domain';
import { atHour, RequestScenario } from '@kairos/access-request-domain/testing';
import { Refusal } from '@kairos/refusal';
import { InMemoryRequestStreams } from '../../testing/in-memory-request-streams';
import { ActOnRequest, type ExtendInput } from './act-on-request';

const person = (id: string, ...roles: string[]): Principal => ({ id, kind: 'person', roles: roles as Principal['roles'], token: `token-of-${id}` });
const alice = person('alice', 'requester');

describe('acting on a request', () => {
  // Alice's access to db-prod, granted at hour 0 for two hours, by policy (no review needed to extend).
  const setup = () => {
    const scenario = RequestScenario.create({ id: 'alice', kind: 'person' }, 'db-prod', 'read').requested(0, { automatic: true, duration: 'PT2H' }).granted(0);
    const streams = new InMemoryRequestStreams({ [scenario.requestId]: scenario.events });
    const act = new ActOnRequest(streams, { now: () => new Date(atHour(1)) }, { current: () => 'corr-1' });
    return { scenario, streams, act };
  };

  it('mints the extension id itself, from the instant it was asked, whatever the caller sends', async () => {
    const { scenario, streams, act } = setup();
    const view = await act.extend(alice, scenario.requestId, { itemId: scenario.itemId, by: 'PT30M', extensionId: 'chosen-by-the-caller' } as ExtendInput);
    const [extended] = streams.appended.flatMap((a) => a.events);
    expect(extended).toMatchObject({ type: 'AccessExtended', data: { extensionId: `ext-${atHour(1)}`, expiresAt: atHour(2.5), extendedAt: atHour(1) } });
    expect(view.items[0]).toMatchObject({ itemId: scenario.itemId, status: 'active', expiresAt: atHour(2.5) });
  });

  it('keeps auditors read-only: refused before anything is decided or appended', async () => {
    const { scenario, streams, act } = setup();
    const attempt = act.release(person('audrey', 'auditor'), scenario.requestId, { itemId: scenario.itemId });
    await expect(attempt).rejects.toBeInstanceOf(Refusal);
    await expect(attempt).rejects.toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN' });
    expect(streams.appended).toEqual([]);
  });

  it("leaves to the decider whom a request belongs to: another requester cannot release Alice's access", async () => {
    const { scenario, streams, act } = setup();
    const error = await act.release(person('mallory', 'requester'), scenario.requestId, { itemId: scenario.itemId }).catch((e: unknown) => e);
    expect(isAccessRequestError(error) && error.code).toBe('ACCESS_REQUEST.FORBIDDEN');
    expect(streams.appended).toEqual([]);
  });

  it('releases the requester’s own access as the requester, at the clock’s instant', async () => {
    const { scenario, streams, act } = setup();
    const view = await act.release(alice, scenario.requestId, { itemId: scenario.itemId });
    expect(streams.appended.flatMap((a) => a.events)).toEqual([
      expect.objectContaining({ type: 'RevocationRequested', data: expect.objectContaining({ reason: 'released', requestedAt: atHour(1) }) }),
    ]);
    expect(view.items[0]!.status).toBe('revoking');
  });

  it('says there is no such request for a request id with no stream', async () => {
    const { streams, act } = setup();
    const error = await act.cancel(alice, '7d0c1e52-2f55-4b8e-9a51-0d1d5b8f3a11', {}).catch((e: unknown) => e);
    expect(isAccessRequestError(error) && error.code).toBe('ACCESS_REQUEST.NOT_FOUND');
    expect(streams.appended).toEqual([]);
  });
});
