import { serviceConfig, kafkaConfig, type Config, type ConfigSpec } from '@kairos/config';

export const config = {
  ...serviceConfig,
  ...kafkaConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3004, description: 'HTTP port' },
  DATABASE_SCHEMA: { type: 'string', default: 'expiry_scheduler', description: 'PostgreSQL schema owned by this service' },
  TIMER_MAX_SLEEP_MS: {
    type: 'int',
    min: 10,
    max: 1000,
    default: 500,
    description: 'Longest the firing loop sleeps between looks (it sleeps until the next due timer when sooner)',
  },
  TIMER_BATCH_SIZE: { type: 'int', min: 1, max: 5000, default: 200, description: 'Timers fired per transaction' },
} as const satisfies ConfigSpec;

export type ExpirySchedulerConfig = Config<typeof config>;
