import { serviceConfig, eventStoreConfig, type Config, type ConfigSpec } from '@kairos/config';

export const config = {
  ...serviceConfig,
  ...eventStoreConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3005, description: 'HTTP port' },
  DATABASE_SCHEMA: { type: 'string', default: 'audit', description: 'PostgreSQL schema owned by this service' },
} as const satisfies ConfigSpec;

export type AuditProjectorConfig = Config<typeof config>;
