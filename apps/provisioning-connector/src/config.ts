import { readFileSync } from 'node:fs';
import { serviceConfig, kafkaConfig, eventStoreConfig, type Config, type ConfigSpec } from '@kairos/config';

export const config = {
  ...serviceConfig,
  ...kafkaConfig,
  // Read-only: a grant is made only when the request's own stream asks for it.
  ...eventStoreConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3003, description: 'HTTP port' },
  TARGET_POSTGRES_URL: {
    type: 'url',
    protocols: ['postgres', 'postgresql'],
    secret: true,
    description: 'the target PostgreSQL whose role memberships the postgres connector grants (credentials from configuration only)',
  },
  DATABASE_SCHEMA: { type: 'string', default: 'provisioning', description: 'PostgreSQL schema owned by this service' },
  WEBHOOK_URL: {
    type: 'string',
    default: '',
    description:
      'URL the webhook connector POSTs signed grant/revoke/verify calls to; empty = webhook connector not configured (unhealthy, its jobs fail)',
  },
  WEBHOOK_SECRET: {
    type: 'string',
    default: '',
    secret: true,
    description: 'HMAC-SHA256 key for x-kairos-signature (or WEBHOOK_SECRET_FILE)',
  },
  WEBHOOK_SECRET_FILE: {
    type: 'string',
    default: '',
    description: 'file holding the webhook HMAC key (used when WEBHOOK_SECRET is empty)',
  },
  WEBHOOK_TIMEOUT_MS: { type: 'int', min: 100, default: 10_000, description: 'timeout of one webhook call' },
  JOB_MAX_ATTEMPTS: { type: 'int', min: 1, default: 6, description: 'attempts per grant/revoke job before a final failure' },
  JOB_BACKOFF_MS: { type: 'int', min: 1, default: 1_000, description: 'delay after the first failed attempt; doubles each attempt' },
  JOB_MAX_BACKOFF_MS: { type: 'int', min: 1, default: 60_000, description: 'longest delay between attempts' },
  JOB_LEASE_MS: {
    type: 'int',
    min: 1_000,
    default: 60_000,
    description: 'how long a worker owns a running job; after a crash the job is taken up again once it runs out',
  },
  JOB_POLL_MS: { type: 'int', min: 10, default: 500, description: 'how often the worker looks for due jobs when not woken' },
} as const satisfies ConfigSpec;

export type ProvisioningConnectorConfig = Config<typeof config>;

/** The webhook key, from the variable or the file; never from an event. */
export function webhookSecret(c: Pick<ProvisioningConnectorConfig, 'WEBHOOK_SECRET' | 'WEBHOOK_SECRET_FILE'>): string | undefined {
  if (c.WEBHOOK_SECRET) return c.WEBHOOK_SECRET;
  if (c.WEBHOOK_SECRET_FILE) return readFileSync(c.WEBHOOK_SECRET_FILE, 'utf8').trim() || undefined;
  return undefined;
}
