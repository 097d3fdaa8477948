import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startTestKafka } from '@kairos/testing';
import { releasedScheduleCheckPendingRequests } from './kafkajs-idle-loop';
import './kafka-client';

// kafkajs's request queue, as the fix replaced its method on the prototype.
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: { checkPendingRequests(): void; scheduleCheckPendingRequests(): void } };

/**
 * kafkajs 2.2.4 re-arms a timer on every broker connection forever, even with nothing to send
 * (kafkajs #1556): each idle connection checked its empty queue about a thousand times a second.
 * Counted, not timed: how often an idle connection looks at its queue in one second.
 */
describe('kafkajs request queue at rest (the idle loop of kafkajs #1556 is gone)', () => {
  let broker: Awaited<ReturnType<typeof startTestKafka>>;
  let producer: Producer;
  const checks = { count: 0 };
  const original = RequestQueue.prototype.checkPendingRequests;

  beforeAll(async () => {
    broker = await startTestKafka({ numPartitions: 1 });
    const admin = new Kafka({ clientId: 'idle-admin', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idle-loop', numPartitions: 1 }] });
    await admin.disconnect();
    RequestQueue.prototype.checkPendingRequests = function (this: unknown) {
      checks.count++;
      return original.call(this);
    };
    producer = new Kafka({ clientId: 'idle-loop', brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer({ maxInFlightRequests: 1 });
    await producer.connect();
  });
  afterAll(async () => {
    RequestQueue.prototype.checkPendingRequests = original;
    await producer?.disconnect();
    await broker?.close();
  });

  const checksInOneIdleSecond = async () => {
    checks.count = 0;
    await new Promise((r) => setTimeout(r, 1_000));
    return checks.count;
  };

  it('a connected producer with nothing to send does not keep checking its queue', async () => {
    await producer.send({ topic: 'idle-loop', messages: [{ value: 'warm-up' }] });
    expect(await checksInOneIdleSecond()).toBeLessThan(20);
  });

  it('as released, the same idle connection checks its empty queue hundreds of times a second (why the fix exists)', async () => {
    const fixed = RequestQueue.prototype.scheduleCheckPendingRequests;
    RequestQueue.prototype.scheduleCheckPendingRequests = releasedScheduleCheckPendingRequests;
    try {
      // One request through the queue starts the released loop again.
      await producer.send({ topic: 'idle-loop', messages: [{ value: 'restart the loop' }] });
      expect(await checksInOneIdleSecond()).toBeGreaterThan(100);
    } finally {
      RequestQueue.prototype.scheduleCheckPendingRequests = fixed;
    }
    // With the fix back the loop stops at its next turn.
    await new Promise((r) => setTimeout(r, 50));
    expect(await checksInOneIdleSecond()).toBeLessThan(20);
  });

  it('requests that wait for the one in flight (one at a time) are all still sent', async () => {
    const sends = Array.from({ length: 50 }, (_, i) => producer.send({ topic: 'idle-loop', messages: [{ key: 'k', value: `m${i}` }] }));
    const results = await Promise.all(sends);
    const offsets = results.map((r) => Number(r[0]!.baseOffset));
    expect(new Set(offsets).size).toBe(50);
  });
});
