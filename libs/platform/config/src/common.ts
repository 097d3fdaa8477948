import type { ConfigSpec } from './config';
import { kafkaConnectionConfig } from './kafka';
import { messageKeysConfig } from './message-keys';

/**
 * The browser origins (scheme://host[:port], nothing else) allowed to call a service's API, e.g. the
 * console's. Empty: CORS is answered for nobody.
 */
export function parseOrigins(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function checkOrigins(value: string): string | undefined {
  for (const origin of parseOrigins(value)) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      return `CORS_ORIGINS must list origins like https://console.example.com (scheme, host and port only, no path or "*"), got "${origin}"`;
    }
  }
  return undefined;
}

/** The HTTP edge every service shares. */
export const httpEdgeConfig = {
  CORS_ORIGINS: { type: 'string', default: '', check: checkOrigins, description: "browser origins allowed to call the API (CORS), comma separated, e.g. the console's; none when empty" },
} as const satisfies ConfigSpec;

/** Variables every Kairos service reads. */
export const serviceConfig = {
  PORT: { type: 'int', min: 0, max: 65535, description: 'HTTP port' },
  LOG_LEVEL: { type: 'enum', values: ['debug', 'info', 'warn', 'error'], default: 'info', description: 'minimum log level' },
  DATABASE_URL: { type: 'url', protocols: ['postgres', 'postgresql'], secret: true, description: "PostgreSQL connection string for the service's own schema" },
  AUTH_ISSUER: { type: 'string', description: 'expected `iss` of bearer tokens (OIDC issuer)' },
  AUTH_AUDIENCE: { type: 'string', default: 'kairos', description: 'expected `aud` of bearer tokens' },
  AUTH_JWKS_URL: { type: 'url', protocols: ['http', 'https'], description: "URL of the issuer's JWKS" },
  ...httpEdgeConfig,
} as const satisfies ConfigSpec;

/** A service on Kafka signs what it produces and verifies what it consumes: the keys come with the brokers. */
export const kafkaConfig = {
  ...kafkaConnectionConfig,
  ...messageKeysConfig,
} as const satisfies ConfigSpec;

export const eventStoreConfig = {
  EVENTSTORE_URL: { type: 'url', protocols: ['esdb', 'esdb+discover'], secret: true, description: 'EventStoreDB connection string' },
} as const satisfies ConfigSpec;
