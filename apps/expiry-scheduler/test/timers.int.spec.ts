import request from 'supertest';
import { messageKeys } from '@kairos/config';
import { TOPICS } from '@kairos/contracts';
import { headerValue, messageAuthentication, toKafkaMessage } from '@kairos/messaging';
import { eventually, generateTestMessageKeys } from '@kairos/testing';
import { startHarness, type Harness } from '../src/testing/harness';
import { requestEvents } from '@kairos/access-request-domain/testing';
import { HOUR, ManualClock, MINUTE, plus } from '../src/testing/clock';
import { firingMessageId } from '../src/domain/timer';

const T0 = '2026-03-01T09:00:00.000Z';

describe('expiry scheduler timers (real PostgreSQL, local Kafka, injected clock)', () => {
  let h: Harness;
  const clock = new ManualClock(T0);
  let n = 0;
  const newRequest = () => {
    const requestId = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
    return { requestId, e: requestEvents(requestId) };
  };
  /** Moves the clock forward and fires what is due, as the loop would within its next round. */
  const advanceTo = async (instant: string) => {
    clock.set(instant);
    await h.firing.fireDue();
  };

  beforeAll(async () => {
    h = await startHarness();
    await h.boot(clock);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('starts a pending time to live per item when access is requested', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    await h.publish(requestId, [
      e.requested(
        [
          { itemId: 'a', pendingExpiresAt: plus(now, 24 * HOUR) },
          { itemId: 'b', pendingExpiresAt: plus(now, 2 * HOUR) },
        ],
        now,
      ),
    ]);
    await h.expectPending(requestId, [`pending_ttl@${plus(now, 24 * HOUR)}`, `pending_ttl@${plus(now, 2 * HOUR)}`]);
  });

  it('swaps the pending time to live for the approval expiry when an item is approved, then drops it once granted', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    await h.publish(requestId, [
      e.requested([{ itemId: 'a', pendingExpiresAt: plus(now, 24 * HOUR) }], now),
      e.approved('a', plus(now, 7 * 24 * HOUR), now),
    ]);
    await h.expectPending(requestId, [`approval_expiry@${plus(now, 7 * 24 * HOUR)}`]);
    const cancelled = await h.timers(requestId, 'cancelled');
    expect(cancelled).toEqual([expect.objectContaining({ kind: 'pending_ttl', cancelledBy: 'ItemApproved' })]);
    await h.publish(requestId, [e.grantRequested('a', 'g1', now), e.granted('a', 'g1', plus(now, HOUR), now)]);
    await h.expectPending(requestId, [`access_expiry@${plus(now, HOUR)}`]);
  });

  it('fires an access expiry at its due time as TimerFired with a deterministic id, keyed by request', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    const expiresAt = plus(now, HOUR);
    await h.publish(requestId, [e.granted('a', 'g1', expiresAt, now)]);
    await h.expectPending(requestId, [`access_expiry@${expiresAt}`]);

    await advanceTo(plus(expiresAt, -1));
    expect(await h.timers(requestId)).toHaveLength(1);

    clock.set(expiresAt); // the loop itself notices within its bounded sleep
    const [message] = await eventually(async () => h.firedFor(requestId).length > 0 && h.firedFor(requestId), 'TimerFired');
    const timerId = `${requestId}/a/access_expiry/g1`;
    expect(message).toEqual({
      id: firingMessageId(timerId, expiresAt),
      key: requestId,
      source: 'urn:kairos:expiry-scheduler',
      data: { timerId, requestId, itemId: 'a', grantId: 'g1', kind: 'access_expiry', dueAt: expiresAt, firedAt: expiresAt },
      receivedAt: expect.any(Number),
    });
    expect(await h.timers(requestId)).toEqual([]);
    expect(await h.timers(requestId, 'fired')).toEqual([expect.objectContaining({ timerId, status: 'fired', firedAt: expiresAt })]);
  });

  it('moves the access expiry when access is extended, and the old due time never fires', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    const first = plus(now, HOUR);
    const extended = plus(now, 3 * HOUR);
    await h.publish(requestId, [e.granted('a', 'g1', first, now), e.extended('a', 'g1', first, extended, plus(now, 30 * MINUTE))]);
    await h.expectPending(requestId, [`access_expiry@${extended}`]);

    await advanceTo(plus(first, MINUTE));
    expect(await h.timers(requestId)).toEqual([expect.objectContaining({ dueAt: extended })]);

    await advanceTo(extended);
    await eventually(async () => h.firedFor(requestId).length > 0, 'the extended expiry to fire');
    expect(h.firedFor(requestId).map((m) => m.data.dueAt)).toEqual([extended]);
  });

  it('extends a timer that already fired when the extension was recorded first, so it fires again at the new time', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    const first = plus(now, HOUR);
    await h.publish(requestId, [e.granted('a', 'g1', first, now)]);
    await h.expectPending(requestId, [`access_expiry@${first}`]);
    await advanceTo(first);
    await eventually(async () => h.firedFor(requestId).length === 1, 'the first firing');
    const later = plus(first, HOUR);
    await h.publish(requestId, [e.extended('a', 'g1', first, later, first)]);
    await h.expectPending(requestId, [`access_expiry@${later}`]);
    await advanceTo(later);
    await eventually(async () => h.firedFor(requestId).length === 2, 'the second firing');
    const [a, b] = h.firedFor(requestId);
    expect(a!.id).not.toBe(b!.id);
  });

  it('keeps a break-glass review until the access is ratified', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    const ratifyBy = plus(now, 4 * HOUR);
    await h.publish(requestId, [
      e.requested([{ itemId: 'a', pendingExpiresAt: plus(now, 24 * HOUR) }], now),
      e.breakGlassInvoked('a', ratifyBy, now),
      e.approved('a', plus(now, 7 * 24 * HOUR), now),
      e.granted('a', 'g1', plus(now, HOUR), now),
    ]);
    await h.expectPending(requestId, [`break_glass_review@${ratifyBy}`, `access_expiry@${plus(now, HOUR)}`]);
    await h.publish(requestId, [e.breakGlassRatified('a', plus(now, MINUTE))]);
    await h.expectPending(requestId, [`access_expiry@${plus(now, HOUR)}`]);
  });

  it('removes the timers of an item that is released and revoked', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    await h.publish(requestId, [e.breakGlassInvoked('a', plus(now, 4 * HOUR), now), e.granted('a', 'g1', plus(now, HOUR), now)]);
    await h.expectPending(requestId, [`break_glass_review@${plus(now, 4 * HOUR)}`, `access_expiry@${plus(now, HOUR)}`]);
    await h.publish(requestId, [
      e.revocationRequested('a', 'g1', 'released', plus(now, MINUTE)),
      e.revoked('a', 'g1', plus(now, 2 * MINUTE)),
    ]);
    await h.expectPending(requestId, []);
    const cancelled = await h.timers(requestId, 'cancelled');
    expect(cancelled.map((t) => [t.kind, t.cancelledBy]).sort()).toEqual([
      ['access_expiry', 'RevocationRequested'],
      ['break_glass_review', 'RevocationRequested'],
    ]);
    await advanceTo(plus(now, 5 * HOUR));
    expect(h.firedFor(requestId)).toEqual([]);
  });

  it('removes only the cancelled item’s timers when one item of a request is cancelled', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    await h.publish(requestId, [
      e.requested(
        [
          { itemId: 'a', pendingExpiresAt: plus(now, 24 * HOUR) },
          { itemId: 'b', pendingExpiresAt: plus(now, 24 * HOUR) },
        ],
        now,
      ),
    ]);
    await h.expectPending(requestId, [`pending_ttl@${plus(now, 24 * HOUR)}`, `pending_ttl@${plus(now, 24 * HOUR)}`]);
    await h.publish(requestId, [e.cancelled('a', now)]);
    await eventually(async () => (await h.timers(requestId)).length === 1, 'item a to lose its timer');
    expect(await h.timers(requestId)).toEqual([expect.objectContaining({ timerId: `${requestId}/b/pending_ttl` })]);
  });

  it.each([
    ['denied', (e: ReturnType<typeof requestEvents>, now: string) => e.denied('a', now)],
    ['expired while pending', (e: ReturnType<typeof requestEvents>, now: string) => e.itemExpired('a', now, now)],
  ])('removes the pending time to live of an item %s', async (_, ending) => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    await h.publish(requestId, [e.requested([{ itemId: 'a', pendingExpiresAt: plus(now, 24 * HOUR) }], now), ending(e, now)]);
    await eventually(async () => (await h.timers(requestId, 'cancelled')).length === 1, 'the pending time to live to be removed');
    expect(await h.timers(requestId)).toEqual([]);
  });

  it('fires a pending time to live and an approval expiry with their kinds', async () => {
    const { requestId, e } = newRequest();
    const now = clock.now().toISOString();
    await h.publish(requestId, [
      e.requested(
        [
          { itemId: 'a', pendingExpiresAt: plus(now, 2 * HOUR) },
          { itemId: 'b', pendingExpiresAt: plus(now, 2 * HOUR) },
        ],
        now,
      ),
      e.approved('b', plus(now, HOUR), now),
    ]);
    await h.expectPending(requestId, [`pending_ttl@${plus(now, 2 * HOUR)}`, `approval_expiry@${plus(now, HOUR)}`]);
    await advanceTo(plus(now, 2 * HOUR));
    await eventually(async () => h.firedFor(requestId).length === 2, 'both timers to fire');
    expect(
      h
        .firedFor(requestId)
        .map((m) => `${m.data.itemId}:${m.data.kind}`)
        .sort(),
    ).toEqual(['a:pending_ttl', 'b:approval_expiry']);
  });

  describe('the request-event consumer (an @EventPattern controller over the Kafka inbox)', () => {
    it('refuses a forged AccessGranted written straight to access-request.events (unsigned, or signed by a key it does not trust): dead-lettered, no timer', async () => {
      const { requestId, e } = newRequest();
      const now = clock.now().toISOString();
      const forgedExpiry = plus(now, 10 * HOUR);
      const forged = toKafkaMessage({
        topic: TOPICS.accessRequestEvents,
        key: requestId,
        id: `forged-${requestId}`,
        type: 'AccessGranted',
        subject: requestId,
        time: now,
        source: 'urn:kairos:request-service',
        data: e.granted('a', 'g-forged', forgedExpiry, now).data,
      });
      const stranger = messageAuthentication(messageKeys(generateTestMessageKeys().env('request-service')));
      const producer = h.kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: TOPICS.accessRequestEvents, messages: [forged] });
        await producer.send({ topic: TOPICS.accessRequestEvents, messages: [{ ...forged, headers: { ...forged.headers, ...stranger.signer.signatureHeaders(TOPICS.accessRequestEvents, forged) } }] });
      } finally {
        await producer.disconnect();
      }
      // The genuine event after them, on the same partition: once its timer is there, the forgeries were read.
      const expiresAt = plus(now, HOUR);
      await h.publish(requestId, [e.granted('a', 'g1', expiresAt, now)]);
      await h.expectPending(requestId, [`access_expiry@${expiresAt}`]);

      const reasons: string[] = [];
      const reader = h.kafka.consumer({ groupId: `dlq-reader-${requestId}` });
      await reader.connect();
      try {
        await reader.subscribe({ topic: 'expiry-scheduler.dlq', fromBeginning: true });
        await reader.run({
          eachMessage: async ({ message }) => {
            if (headerValue(message.headers, 'ce_id') === `forged-${requestId}`) reasons.push(headerValue(message.headers, 'x-kairos-dlq-reason') ?? '');
          },
        });
        await eventually(async () => reasons.length >= 2, 'both forgeries on the dead-letter topic');
      } finally {
        await reader.disconnect();
      }
      expect(reasons).toEqual(['authentication: unsigned: the message carries no x-kairos-key-id header', expect.stringMatching(/^authentication: unknown_key: /)]);
      expect((await h.timers(requestId)).map((t) => t.grantId)).toEqual(['g1']);
    });
  });

  describe('the timers API', () => {
    it('lists pending timers to an admin', async () => {
      const res = await request(h.app.getHttpServer())
        .get('/v1/timers')
        .set('authorization', `Bearer ${await h.issuer.token('u-admin', ['admin'])}`);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body.timers)).toBe(true);
    });

    it('rejects a requester reading the timers', async () => {
      const res = await request(h.app.getHttpServer())
        .get('/v1/timers')
        .set('authorization', `Bearer ${await h.issuer.token('u-alice', ['requester'])}`);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    });

    it('rejects an approver or auditor reading the timers', async () => {
      const token = await h.issuer.token('u-bob', ['approver', 'auditor']);
      expect((await request(h.app.getHttpServer()).get('/v1/timers').set('authorization', `Bearer ${token}`)).status).toBe(403);
    });

    it('rejects an unauthenticated caller', async () => {
      const res = await request(h.app.getHttpServer()).get('/v1/timers').query({ requestId: 'anything' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('UNAUTHENTICATED');
    });

    it('answers a bad query with a problem listing the fields', async () => {
      const res = await request(h.app.getHttpServer())
        .get('/v1/timers')
        .query({ status: 'sleeping', limit: '0', extra: 'x' })
        .set('authorization', `Bearer ${await h.issuer.token('u-admin', ['admin'])}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((f: { field: string }) => f.field).sort()).toEqual(['extra', 'limit', 'status']);
    });

    it('documents the route in OpenAPI', async () => {
      const res = await request(h.app.getHttpServer()).get('/docs-json');
      expect(res.body.paths['/v1/timers'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
        'limit',
        'requestId',
        'status',
      ]);
    });
  });
});
