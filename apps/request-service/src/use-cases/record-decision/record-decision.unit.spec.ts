import { atHour, RequestScenario } from '@kairos/access-request-domain/testing';
import { Refusal } from '@kairos/refusal';
import { InMemoryRequestStreams } from '../../testing/in-memory-request-streams';
import { RecordDecision } from './record-decision';

describe('recording what another service decided', () => {
  const setup = () => {
    // Approved by policy at hour 0, waiting for the connector's grant.
    const scenario = RequestScenario.create({ id: 'alice', kind: 'person' }, 'db-prod', 'read').requested(0, { automatic: true, duration: 'PT2H' });
    const streams = new InMemoryRequestStreams({ [scenario.requestId]: scenario.events });
    const record = new RecordDecision(streams, { now: () => new Date(atHour(0.1)) });
    const granted = {
      id: 'msg-grant-1',
      type: 'GrantSucceeded',
      data: { requestId: scenario.requestId, itemId: scenario.itemId, grantId: scenario.grantId, attempt: 1, at: atHour(0.1), verified: true },
      correlationId: 'corr-7',
    };
    return { scenario, streams, record, granted };
  };

  it('records a grant on the request stream, caused by the message (its event ids derive from it)', async () => {
    const { scenario, streams, record, granted } = setup();
    expect(await record.execute(granted)).toEqual({ changed: true });
    expect(streams.appended).toEqual([{ requestId: scenario.requestId, causationId: 'msg-grant-1', events: [expect.objectContaining({ type: 'AccessGranted' })] }]);
  });

  it('says a redelivered message changed nothing', async () => {
    const { streams, record, granted } = setup();
    await record.execute(granted);
    expect(await record.execute({ ...granted, id: 'msg-grant-1-again' })).toEqual({ changed: false });
    expect(streams.appended).toHaveLength(1);
  });

  it('refuses for good, with the decider’s code, a message the decider refuses (it goes to the dead-letter topic)', async () => {
    const { record, granted } = setup();
    const error = await record.execute({ ...granted, data: { ...granted.data, requestId: '7d0c1e52-2f55-4b8e-9a51-0d1d5b8f3a11' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Refusal);
    expect(error).toMatchObject({ kind: 'unprocessable', code: 'ACCESS_REQUEST.NOT_FOUND' });
  });

  it('lets a failing event store through as it is, to be retried (not a refusal)', async () => {
    const { streams, record, granted } = setup();
    const away = new Error('event store restarting');
    streams.failWith = away;
    await expect(record.execute(granted)).rejects.toBe(away);
  });
});
