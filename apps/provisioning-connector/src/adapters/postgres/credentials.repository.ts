import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { IssuedCredentials } from '../../domain/connector';
import type { CredentialsStore, CredentialsView, FetchOutcome } from '../../use-cases/reveal-credentials/reveal-credentials';
import type { CredentialsSink } from '../../use-cases/run-job/ports';
import { passwordFingerprint } from '../connectors/postgres/credentials';
import { CREDENTIALS_SEALER, CredentialsSealer } from './credentials-sealer';

interface Row {
  grant_id: string;
  request_id: string;
  subject_id: string;
  login: string;
  fingerprint: string;
  sealed: Buffer | null;
  valid_until: Date;
  connection: Record<string, string | number>;
  issued_at: Date;
  delivered_at: Date | null;
}

/** Short-lived credentials between their grant and their one delivery to the person they are for. */
@Injectable()
export class CredentialsRepository implements CredentialsSink, CredentialsStore {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CREDENTIALS_SEALER) private readonly sealer: CredentialsSealer,
  ) {}

  /** Records (or, after a retried grant, replaces) what a grant issued: the password sealed, its fingerprint. */
  async issued(grant: { grantId: string; requestId: string; subjectId: string }, credentials: IssuedCredentials, now: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO provisioning_credentials (grant_id, request_id, subject_id, login, fingerprint, sealed, valid_until, connection, issued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (grant_id) DO UPDATE SET login = EXCLUDED.login, fingerprint = EXCLUDED.fingerprint, sealed = EXCLUDED.sealed,
         valid_until = EXCLUDED.valid_until, connection = EXCLUDED.connection, issued_at = EXCLUDED.issued_at, delivered_at = NULL`,
      [
        grant.grantId,
        grant.requestId,
        grant.subjectId,
        credentials.login,
        passwordFingerprint(credentials.password),
        this.sealer.seal(grant.grantId, credentials.password),
        credentials.validUntil,
        JSON.stringify(credentials.connection ?? {}),
        now,
      ],
    );
  }

  /**
   * The credentials of a grant, for the identity they were issued to only (anyone else: not found).
   * The first answer carries the password and erases it from the store in the same transaction;
   * every later one carries the fingerprint only.
   */
  async fetchOnce(grantId: string, readerId: string, now: Date): Promise<FetchOutcome> {
    return this.dataSource.transaction(async (tx) => {
      const rows: Row[] = await tx.query(`SELECT * FROM provisioning_credentials WHERE grant_id = $1 FOR UPDATE`, [grantId]);
      const row = rows[0];
      if (!row || row.subject_id !== readerId) return { kind: 'not_found' };
      let password: string | null = null;
      let gone: CredentialsView['passwordGone'] = row.delivered_at ? 'delivered' : null;
      if (row.sealed && !row.delivered_at) {
        password = this.sealer.open(grantId, row.sealed) ?? null;
        if (password === null) gone = 'lost';
        await tx.query(`UPDATE provisioning_credentials SET sealed = NULL, delivered_at = $2 WHERE grant_id = $1`, [grantId, now]);
      } else if (!row.delivered_at) {
        gone = 'lost';
      }
      return {
        kind: 'found',
        credentials: {
          grantId,
          requestId: row.request_id,
          login: row.login,
          password,
          fingerprint: row.fingerprint,
          validUntil: new Date(row.valid_until).toISOString(),
          connection: row.connection,
          issuedAt: new Date(row.issued_at).toISOString(),
          deliveredAt: row.delivered_at ? new Date(row.delivered_at).toISOString() : null,
          passwordGone: gone,
        },
      };
    });
  }
}
