import { TOPICS } from '@kairos/contracts';
import { contractSchemas, IdempotentConsumer, MessagePublisher, messagingMigrations, OutboxRelay } from '@kairos/messaging';
import { JsonLogger } from '@kairos/observability';
import { openServiceDataSource } from '@kairos/persistence';
import { eventually } from '@kairos/testing';
import type { DataSource } from 'typeorm';
import { migrations } from '../src/migrations';
import { systemClock } from '@kairos/clock';
import { startHarness, type Harness } from '../src/testing/harness';
import { requestEvents } from '@kairos/access-request-domain/testing';
import { HOUR, ManualClock, MINUTE, plus } from '../src/testing/clock';
import { firingMessageId } from '../src/domain/timer';
import { PostgresFiringStore } from '../src/adapters/postgres/timer.repository';
import { FireDueTimers } from '../src/use-cases/fire-due-timers/fire-due-timers';

const T0 = '2026-06-01T09:00:00.000Z';
const SCHEMA = 'expiry_scheduler';

describe('firing across restarts and crashes', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  afterEach(async () => {
    await h.shutdown();
  });

  it('fires every timer that came due while it was down, at once on start', async () => {
    const clock = new ManualClock(T0);
    const requestId = '10000000-0000-4000-8000-000000000001';
    const e = requestEvents(requestId);
    await h.boot(clock);
    await h.publish(requestId, [
      e.requested(
        [
          { itemId: 'a', pendingExpiresAt: plus(T0, HOUR) },
          { itemId: 'b', pendingExpiresAt: plus(T0, 24 * HOUR) },
        ],
        T0,
      ),
      e.approved('b', plus(T0, 2 * HOUR), T0),
      e.granted('b', 'g-b', plus(T0, 3 * HOUR), T0),
      e.breakGlassInvoked('c', plus(T0, 4 * HOUR), T0),
    ]);
    await h.expectPending(requestId, [
      `pending_ttl@${plus(T0, HOUR)}`,
      `access_expiry@${plus(T0, 3 * HOUR)}`,
      `break_glass_review@${plus(T0, 4 * HOUR)}`,
    ]);
    await h.shutdown();

    clock.set(plus(T0, 5 * HOUR));
    await h.boot(clock);
    await eventually(async () => h.firedFor(requestId).length === 3, 'the three overdue timers to fire');
    expect(
      h
        .firedFor(requestId)
        .map((m) => `${m.data.kind}@${m.data.dueAt}`)
        .sort(),
    ).toEqual([`pending_ttl@${plus(T0, HOUR)}`, `access_expiry@${plus(T0, 3 * HOUR)}`, `break_glass_review@${plus(T0, 4 * HOUR)}`].sort());
    expect(h.firedFor(requestId).every((m) => m.data.firedAt === plus(T0, 5 * HOUR))).toBe(true);
    expect(await h.timers(requestId)).toEqual([]);
  });

  it('publishes the same message id again when it crashed after the outbox write, and a consumer applies it once', async () => {
    const clock = new ManualClock(plus(T0, 24 * HOUR));
    const now = clock.now().toISOString();
    const requestId = '10000000-0000-4000-8000-000000000002';
    const e = requestEvents(requestId);
    const expiresAt = plus(now, HOUR);
    await h.boot(clock);
    await h.publish(requestId, [e.granted('a', 'g1', expiresAt, now)]);
    await h.expectPending(requestId, [`access_expiry@${expiresAt}`]);
    await h.shutdown();

    const dataSource: DataSource = await openServiceDataSource({ url: h.db.url, schema: SCHEMA, migrations });
    const publisher = new MessagePublisher(h.kafka, contractSchemas);
    try {
      // The process fires (outbox row + timer marked fired, one transaction) and dies before its relay runs.
      clock.set(plus(expiresAt, MINUTE));
      const dying = new FireDueTimers(new PostgresFiringStore(dataSource), clock, { fired: () => undefined }, { batchSize: 10 });
      expect(await dying.execute()).toBe(1);
      const outbox: Record<string, unknown>[] = await dataSource.query('SELECT * FROM messaging_outbox');
      expect(outbox).toHaveLength(1);
      // Then, in a second life, its relay reached Kafka but died before deleting the row.
      expect(await new OutboxRelay(dataSource, publisher).drain()).toBe(1);
      await dataSource.query(
        `INSERT INTO messaging_outbox (seq, topic, message_key, message_id, type, subject, source, time, data, traceparent, correlation_id, created_at)
         SELECT * FROM jsonb_populate_recordset(NULL::messaging_outbox, $1::jsonb)`,
        [JSON.stringify(outbox)],
      );
    } finally {
      await publisher.disconnect();
      await dataSource.destroy();
    }

    await h.boot(clock);
    await eventually(async () => h.firedFor(requestId).length === 2, 'the firing to be published a second time');
    const ids = h.firedFor(requestId).map((m) => m.id);
    expect(ids).toEqual([
      firingMessageId(`${requestId}/a/access_expiry/g1`, expiresAt),
      firingMessageId(`${requestId}/a/access_expiry/g1`, expiresAt),
    ]);
    expect(await h.timers(requestId, 'fired')).toHaveLength(1);

    // A consumer with an inbox, as the request service has, applies the firing once.
    const probe = await openServiceDataSource({ url: h.db.url, schema: 'request_probe', migrations: messagingMigrations });
    await probe.query('CREATE TABLE request_probe.applied (message_id text, request_id text)');
    const probePublisher = new MessagePublisher(h.kafka, contractSchemas);
    const outcomes: string[] = [];
    const consumer = new IdempotentConsumer({
      kafka: h.kafka,
      groupId: 'request-service-probe',
      topics: [TOPICS.expiryEvents],
      dataSource: probe,
      publisher: probePublisher,
      schemas: contractSchemas,
      handle: async (message, tx) => {
        await tx.query('INSERT INTO request_probe.applied VALUES ($1, $2)', [
          message.id,
          (message.data as { requestId: string }).requestId,
        ]);
      },
      onOutcome: (_topic, outcome) => outcomes.push(outcome),
    });
    try {
      await consumer.start();
      await eventually(async () => outcomes.length === h.fired.length, 'the probe to consume every firing published so far');
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(1);
      expect(await probe.query('SELECT message_id FROM request_probe.applied WHERE request_id = $1', [requestId])).toEqual([
        { message_id: ids[0] },
      ]);
    } finally {
      await consumer.stop();
      await probePublisher.disconnect();
      await probe.destroy();
    }
  });

  it('fires on the real clock shortly after the due time', async () => {
    const logger = new JsonLogger('expiry-scheduler-test', 'info');
    const requestId = '10000000-0000-4000-8000-000000000003';
    const e = requestEvents(requestId);
    await h.boot(systemClock);
    const now = new Date().toISOString();
    const expiresAt = plus(now, 1_500);
    await h.publish(requestId, [e.granted('a', 'g1', expiresAt, now)]);
    const [message] = await eventually(
      async () => h.firedFor(requestId).length > 0 && h.firedFor(requestId),
      'the timer to fire on the real clock',
      15_000,
    );
    const firedLateMs = Date.parse(message!.data.firedAt) - Date.parse(expiresAt);
    const receivedLateMs = message!.receivedAt - Date.parse(expiresAt);
    logger.log('observed timer firing delay', { firedLateMs, receivedLateMs });
    expect(firedLateMs).toBeGreaterThanOrEqual(0);
    expect(receivedLateMs).toBeLessThan(5_000);
  });
});
