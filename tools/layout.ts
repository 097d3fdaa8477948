import { resolve } from 'node:path';

/**
 * Where the embedded platform keeps its data and which ports it uses. `npm start`, `npm run token`
 * and the end-to-end tests all read this one description.
 */
export interface PlatformLayout {
  readonly dataDir: string;
  readonly ports: {
    readonly issuer: number;
    readonly requestService: number;
    readonly approvalPolicyService: number;
    readonly provisioningConnector: number;
    readonly expiryScheduler: number;
    readonly auditProjector: number;
    readonly eventstore: number;
    readonly kafka: number;
    readonly postgres: number;
    readonly notifier: number;
    /** The local mail catcher (ADR 0023): SMTP for the notifier, HTTP for people. */
    readonly mailSmtp: number;
    readonly mailHttp: number;
  };
  readonly audience: string;
}

export function platformLayout(env: NodeJS.ProcessEnv = process.env): PlatformLayout {
  const base = Number(env.KAIROS_PORT_BASE ?? 3000);
  if (!Number.isInteger(base) || base < 1024 || base > 65000) throw new Error(`KAIROS_PORT_BASE must be an integer between 1024 and 65000, got "${env.KAIROS_PORT_BASE}"`);
  const defaults = base === 3000;
  return {
    dataDir: resolve(env.KAIROS_DATA_DIR ?? '.kairos'),
    audience: 'kairos',
    ports: {
      issuer: base,
      requestService: base + 1,
      approvalPolicyService: base + 2,
      provisioningConnector: base + 3,
      expiryScheduler: base + 4,
      auditProjector: base + 5,
      eventstore: defaults ? 2113 : base + 6,
      kafka: defaults ? 9092 : base + 7,
      postgres: defaults ? 5433 : base + 8,
      notifier: base + 10,
      mailSmtp: defaults ? 1025 : base + 11,
      mailHttp: defaults ? 8025 : base + 12,
    },
  };
}

export const issuerUrl = (layout: PlatformLayout) => `http://127.0.0.1:${layout.ports.issuer}`;
