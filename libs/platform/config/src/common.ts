import type { ConfigSpec } from './config';
import { messageKeysConfig } from './message-keys';

/** Variables every Kairos service reads. */
export const serviceConfig = {
  PORT: { type: 'int', min: 0, max: 65535, description: 'HTTP port' },
  LOG_LEVEL: { type: 'enum', values: ['debug', 'info', 'warn', 'error'], default: 'info', description: 'minimum log level' },
  DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'], secret: true, description: "PostgreSQL connection string for the service's own schema" },
  AUTH_ISSUER: { type: 'string', description: 'expected `iss` of bearer tokens (OIDC issuer)' },
  AUTH_AUDIENCE: { type: 'string', default: 'kairos', description: 'expected `aud` of bearer tokens' },
  AUTH_JWKS_URL: { type: 'url', protocols: ['http', 'https'], description: "URL of the issuer's JWKS" },
} as const satisfies ConfigSpec;

/** A service on Kafka signs what it produces and verifies what it consumes: the keys come with the brokers. */
export const kafkaConfig = {
  KAFKA_BROKERS: { type: 'list', description: 'Kafka bootstrap servers, comma separated host:port' },
  ...messageKeysConfig,
} as const satisfies ConfigSpec;

export const eventStoreConfig = {
  EVENTSTORE_URL: { type: 'url', protocols: ['esdb', 'esdb+discover'], secret: true, description: 'EventStoreDB connection string' },
} as const satisfies ConfigSpec;
