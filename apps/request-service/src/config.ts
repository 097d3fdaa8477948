import { serviceConfig, kafkaConfig, eventStoreConfig, type Config, type ConfigSpec } from '@kairos/config';

export const config = {
  ...serviceConfig,
  ...kafkaConfig,
  ...eventStoreConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3001, description: 'HTTP port' },
  APPROVAL_POLICY_URL: { type: 'url', protocols: ['http', 'https'], description: 'approval-policy-service base URL, asked to evaluate policy at submission' },
  DATABASE_SCHEMA: { type: 'string', default: 'request_service', description: 'PostgreSQL schema owned by this service' },
} as const satisfies ConfigSpec;

export type RequestServiceConfig = Config<typeof config>;
