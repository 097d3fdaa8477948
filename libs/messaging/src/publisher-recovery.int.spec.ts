import { Kafka, KafkaJSNonRetriableError, KafkaJSProtocolError, logLevel } from 'kafkajs';
import { messageKeys } from '@kairos/config';
import { messageKeysEnv, startTestKafka } from '@kairos/testing';
import { bindMessageAuthentication, messageAuthentication } from './authentication';
import type { OutgoingMessage } from './envelope';
import { isProducerStateError, MessagePublisher } from './publisher';
import { contractSchemas } from './schemas';

const TOPIC = 'expiry.events';

/**
 * Issue 19: a publisher whose producer the broker no longer accepts (its sequence numbers after a
 * partly failed batch on a full disk, or its producer id after the broker lost its state) must
 * not stay stuck: every later publish of the request-service relay failed with
 * OUT_OF_ORDER_SEQUENCE_NUMBER after the fault drill filled the broker's disk.
 */
describe('a message publisher whose producer state the broker lost', () => {
  const auth = messageAuthentication(messageKeys(messageKeysEnv('expiry-scheduler')));
  const message = (n: number): OutgoingMessage => ({
    topic: TOPIC,
    key: `request-${n}`,
    id: `timer-${n}`,
    type: 'TimerFired',
    subject: `request-${n}`,
    time: '2026-11-24T10:00:00.000Z',
    source: 'urn:kairos:expiry-scheduler',
    data: { timerId: `t${n}`, requestId: `request-${n}`, itemId: 'i1', kind: 'access_expiry', dueAt: '2026-11-24T10:00:00.000Z', firedAt: '2026-11-24T10:00:00.100Z' },
  });

  it('knows the errors that mean the producer must be replaced, wrapped or not', () => {
    const outOfOrder = new KafkaJSProtocolError({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false, message: 'The broker received an out of order sequence number' } as never);
    expect(isProducerStateError(outOfOrder)).toBe(true);
    // As kafkajs's retrier rejects: wrapped, the protocol error as its cause.
    const Wrapper = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => Error;
    expect(isProducerStateError(new Wrapper(outOfOrder, { cause: outOfOrder }))).toBe(true);
    expect(isProducerStateError(new KafkaJSProtocolError({ type: 'KAFKA_STORAGE_ERROR', code: 56, retriable: true, message: 'Disk error' } as never))).toBe(false);
    expect(isProducerStateError(new Error('connection refused'))).toBe(false);
  });

  it('publishes again after the broker restarted without its producer state (a new producer, no operator)', async () => {
    let broker = await startTestKafka({ numPartitions: 1 });
    const port = broker.port;
    const kafka = bindMessageAuthentication(new Kafka({ clientId: 'recovery', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } }), auth);
    const publisher = new MessagePublisher(kafka, contractSchemas);
    const createTopic = async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
      await admin.disconnect();
    };
    try {
      await createTopic();
      await publisher.publish([message(1)]);
      await publisher.publish([message(2)]);

      // The same address, but a broker that never saw this producer (in memory: nothing kept).
      await broker.close();
      broker = await startTestKafka({ numPartitions: 1, port });
      await createTopic();

      const errors: string[] = [];
      const deadline = Date.now() + 90_000;
      for (;;) {
        try {
          await publisher.publish([message(3)]);
          break;
        } catch (error) {
          errors.push((error as Error).message);
          if (Date.now() > deadline) throw new Error(`still failing: ${errors.slice(-3).join(' | ')}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      // It was refused for its producer state first (what the fix is about), then went through.
      expect(errors.some((e) => /producer/i.test(e))).toBe(true);

      const seen: string[] = [];
      const consumer = kafka.consumer({ groupId: `recovery-${Date.now()}` });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message: m }) => void seen.push(m.key!.toString()) });
      const until = Date.now() + 60_000;
      while (!seen.includes('request-3') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect();
      expect(seen).toEqual(['request-3']);
    } finally {
      await publisher.disconnect();
      await broker.close();
    }
  }, 180_000);
});
