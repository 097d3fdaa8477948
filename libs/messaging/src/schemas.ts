import { formatValidationErrors, TOPICS, validateEvent, validateMessage, type InternalTopic } from '@kairos/contracts';

/** Checks a message's data against the published schema of its type; returns the problems, if any. */
export type SchemaCheck = (topic: string, type: string, data: unknown, direction: 'publish' | 'receive') => string | undefined;

const internalTopics = new Set<string>([TOPICS.approvalDecisions, TOPICS.provisioningResults, TOPICS.expiryEvents, TOPICS.notifierEscalations]);

/**
 * The contracts' schemas: strict on publish (unknown properties refused), tolerant on receipt
 * (a newer producer may add optional properties).
 */
export const contractSchemas: SchemaCheck = (topic, type, data, direction) => {
  const closed = direction === 'publish';
  if (topic === TOPICS.accessRequestEvents) {
    const result = validateEvent(type, data, { closed });
    return result.ok ? undefined : formatValidationErrors(result.errors);
  }
  if (internalTopics.has(topic)) {
    const result = validateMessage(topic as InternalTopic, type, data, { closed });
    return result.ok ? undefined : formatValidationErrors(result.errors);
  }
  return `no schema is known for topic '${topic}'`;
};
