import { serviceConfig, kafkaConfig, type Config, type ConfigSpec } from '@kairos/config';

export const config = {
  ...serviceConfig,
  ...kafkaConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3003, description: 'HTTP port' },
  TARGET_POSTGRES_URL: { type: 'url', protocols: ['postgres', 'postgresql'], secret: true, description: 'the target PostgreSQL whose role memberships the postgres connector grants (credentials from configuration only)' },
  DATABASE_SCHEMA: { type: 'string', default: 'provisioning', description: 'PostgreSQL schema owned by this service' },
} as const satisfies ConfigSpec;

export type ProvisioningConnectorConfig = Config<typeof config>;
