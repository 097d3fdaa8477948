import type { Kafka } from 'kafkajs';

/** What a readiness registry offers a consumer (ReadinessRegistry of @kairos/http). */
export interface ReadinessTarget {
  register(name: string, probe: () => Promise<void>): void;
}

const bound = new WeakMap<Kafka, ReadinessTarget>();

/** KafkaModule binds its service's readiness registry to the Kafka client; consumers register on it. */
export function bindReadiness(kafka: Kafka, readiness: ReadinessTarget): void {
  bound.set(kafka, readiness);
}

export function readinessOf(kafka: Kafka): ReadinessTarget | undefined {
  return bound.get(kafka);
}
