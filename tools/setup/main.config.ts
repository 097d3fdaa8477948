import { kafkaConnectionConfig, type ConfigSpec } from '@kairos/config';

/** The variables `kairos setup` reads. */
export const setupConfig = {
  ...kafkaConnectionConfig,
  KAFKA_REPLICATION_FACTOR: { type: 'int', min: 1, max: 7, default: 3, description: 'replication factor of the topics setup creates (1 on a single broker)' },
  DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'], secret: true, description: 'PostgreSQL connection string of the database the services share (one schema each)' },
} as const satisfies ConfigSpec;
