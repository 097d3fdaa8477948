import { startEventStoreServer } from '@kairos/eventstore-server';
import { startKafkaBroker } from '@kairos/kafka-broker';

/** A throwaway Kafka-compatible broker for one test file. */
export async function startTestKafka(options: { numPartitions?: number } = {}) {
  return startKafkaBroker({ port: 0, memory: true, numPartitions: options.numPartitions ?? 3, initialRebalanceDelayMs: 0 });
}

/** A throwaway EventStoreDB-compatible server for one test file. */
export async function startTestEventStore() {
  return startEventStoreServer({ port: 0, memory: true });
}
