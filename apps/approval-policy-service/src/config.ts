import { eventStoreConfig, kafkaConfig, serviceConfig, type Config, type ConfigSpec } from '@kairos/config';

export const config = {
  ...serviceConfig,
  ...kafkaConfig,
  ...eventStoreConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3002, description: 'HTTP port' },
  DATABASE_SCHEMA: { type: 'string', default: 'approval_policy', description: 'PostgreSQL schema owned by this service' },
  NOTIFIER_SUBJECTS: {
    type: 'list',
    default: [],
    description: "Subjects of the notifier's service tokens: only they read contacts and relay a person's chat review (none by default)",
  },
} as const satisfies ConfigSpec;

export type ApprovalPolicyServiceConfig = Config<typeof config>;
