import { TOPICS } from './internal-messages';

type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/**
 * The one service allowed to produce each topic whose messages make another service act. A
 * consumer accepts a message only when it is signed by a key its operator assigned to this
 * producer: write access to a topic alone must never be enough to make a service act.
 */
export const PRODUCER_OF_TOPIC = {
  [TOPICS.accessRequestEvents]: 'request-service',
  [TOPICS.approvalDecisions]: 'approval-policy-service',
  [TOPICS.provisioningResults]: 'provisioning-connector',
  [TOPICS.expiryEvents]: 'expiry-scheduler',
  [TOPICS.notifierEscalations]: 'notifier',
} as const satisfies Record<Topic, string>;

export type MessageProducer = (typeof PRODUCER_OF_TOPIC)[Topic];

/** Every service that signs messages, each once. */
export const MESSAGE_PRODUCERS: readonly MessageProducer[] = [...new Set(Object.values(PRODUCER_OF_TOPIC))];

export const producerOfTopic = (topic: string): MessageProducer | undefined =>
  Object.prototype.hasOwnProperty.call(PRODUCER_OF_TOPIC, topic) ? PRODUCER_OF_TOPIC[topic as Topic] : undefined;
