import { startEventStoreServer } from '@kairos/eventstore-server';
import { startKafkaBroker } from '@kairos/kafka-broker';

/**
 * A throwaway Kafka-compatible broker for one test file: in memory, or with `dataDir` on disk (a
 * test can restart it on the same `port`, or search every stored byte).
 */
export async function startTestKafka(options: { numPartitions?: number; port?: number; dataDir?: string; security?: NonNullable<Parameters<typeof startKafkaBroker>[0]>['security'] } = {}) {
  const storage = options.dataDir ? { dataDir: options.dataDir } : { memory: true };
  return startKafkaBroker({ port: options.port ?? 0, ...storage, numPartitions: options.numPartitions ?? 3, initialRebalanceDelayMs: 0, ...(options.security ? { security: options.security } : {}) });
}

/** A throwaway EventStoreDB-compatible server for one test file: in memory, or with `dataDir` on disk. */
export async function startTestEventStore(options: { dataDir?: string } = {}) {
  return startEventStoreServer({ port: 0, ...(options.dataDir ? { dataDir: options.dataDir } : { memory: true }) });
}
