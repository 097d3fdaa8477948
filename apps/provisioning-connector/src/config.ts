import { serviceConfig, kafkaConfig, eventStoreConfig, type Config, type ConfigSpec } from '@kairos/config';
import { connectorSettings } from './adapters/connectors/registry';

export const config = {
  ...serviceConfig,
  ...kafkaConfig,
  // Read-only: a grant is made only when the request's own stream asks for it.
  ...eventStoreConfig,
  PORT: { type: 'int', min: 0, max: 65535, default: 3003, description: 'HTTP port' },
  DATABASE_SCHEMA: { type: 'string', default: 'provisioning', description: 'PostgreSQL schema owned by this service' },
  JOB_MAX_ATTEMPTS: { type: 'int', min: 1, default: 6, description: 'attempts per grant/revoke job before a final failure' },
  JOB_BACKOFF_MS: { type: 'int', min: 1, default: 1_000, description: 'delay after the first failed attempt; doubles each attempt' },
  JOB_MAX_BACKOFF_MS: { type: 'int', min: 1, default: 60_000, description: 'longest delay between attempts' },
  JOB_LEASE_MS: {
    type: 'int',
    min: 1_000,
    default: 10_000,
    description:
      'how long a running job\'s lease lasts without a heartbeat (renewed every third of it while the job runs); a job whose worker died is taken over once it runs out',
  },
  JOB_CONCURRENCY: {
    type: 'int',
    min: 1,
    max: 256,
    default: 8,
    description: 'jobs run at once, so one stuck target or identity never holds the others (jobs of one connector, target and identity still run one at a time, in order)',
  },
  JOB_POLL_MS: { type: 'int', min: 10, default: 500, description: 'how often the worker looks for due jobs when not woken' },
  CONNECTOR_HEALTH_INTERVAL_MS: {
    type: 'int',
    min: 1_000,
    default: 30_000,
    description: 'how often every configured connector is probed with a cheap real call to its target (also on demand: POST /v1/connectors/probe)',
  },
  CREDENTIALS_KEY: {
    type: 'string',
    default: '',
    secret: true,
    description:
      'base64 32-byte key sealing short-lived credentials until their requester fetches them (or CREDENTIALS_KEY_FILE); empty = a key per process (credentials not yet fetched are lost on restart; `npm start` keeps one in its data folder)',
    check: (value) => (value && Buffer.from(value, 'base64').length !== 32 ? 'CREDENTIALS_KEY must be 32 bytes, base64' : undefined),
  },
  CREDENTIALS_KEY_FILE: { type: 'string', default: '', description: 'file holding CREDENTIALS_KEY (used when CREDENTIALS_KEY is empty)' },
  // Every connector's own settings (adapters/connectors/<name>/index.ts), from the one list.
  ...connectorSettings,
} as const satisfies ConfigSpec;

export type ProvisioningConnectorConfig = Config<typeof config>;

