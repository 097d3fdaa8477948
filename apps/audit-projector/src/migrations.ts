import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PgParkedEvents } from '@kairos/event-store';
import { AuditTables } from './adapters/postgres/audit-schema';

export class AuditReadModels1720000000000 implements MigrationInterface {
  name = 'AuditReadModels1720000000000';

  async up(runner: QueryRunner): Promise<void> {
    const schema = (runner.connection.options as { schema?: string }).schema ?? 'public';
    for (const sql of new AuditTables(schema).ddl()) await runner.query(sql);
  }

  async down(runner: QueryRunner): Promise<void> {
    const tables = new AuditTables((runner.connection.options as { schema?: string }).schema ?? 'public');
    for (const table of [...tables.readModels, `"${tables.schema}".event_store_checkpoints`]) await runner.query(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** Events the projector could not store and skipped; new databases already have it from the DDL. */
export class AuditParkedEvents1720000000100 implements MigrationInterface {
  name = 'AuditParkedEvents1720000000100';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(new PgParkedEvents(runner, (runner.connection.options as { schema?: string }).schema ?? 'public').createTableSql());
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS ${new AuditTables((runner.connection.options as { schema?: string }).schema ?? 'public').parked}`);
  }
}

/** Who vouched for a manually fulfilled grant (AccessGranted.fulfilledBy); new databases have it from the DDL. */
export class AuditGrantAttestedBy1720000000200 implements MigrationInterface {
  name = 'AuditGrantAttestedBy1720000000200';

  async up(runner: QueryRunner): Promise<void> {
    const tables = new AuditTables((runner.connection.options as { schema?: string }).schema ?? 'public');
    await runner.query(`ALTER TABLE ${tables.grants} ADD COLUMN IF NOT EXISTS grant_attested_by text`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const tables = new AuditTables((runner.connection.options as { schema?: string }).schema ?? 'public');
    await runner.query(`ALTER TABLE ${tables.grants} DROP COLUMN IF EXISTS grant_attested_by`);
  }
}

/**
 * Where a reused approval came from (ItemApproved.reusedFrom), and why a revocation was not verified:
 * the role kept for other live grants (AccessRevoked.retainedBy) or a person's word (fulfilledBy).
 */
export class AuditReuseAndRetention1720000000300 implements MigrationInterface {
  name = 'AuditReuseAndRetention1720000000300';

  async up(runner: QueryRunner): Promise<void> {
    const tables = new AuditTables((runner.connection.options as { schema?: string }).schema ?? 'public');
    await runner.query(`ALTER TABLE ${tables.items} ADD COLUMN IF NOT EXISTS reused_from text`);
    await runner.query(`ALTER TABLE ${tables.grants} ADD COLUMN IF NOT EXISTS revocation_retained_by text`);
    await runner.query(`ALTER TABLE ${tables.grants} ADD COLUMN IF NOT EXISTS revocation_attested_by text`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const tables = new AuditTables((runner.connection.options as { schema?: string }).schema ?? 'public');
    await runner.query(`ALTER TABLE ${tables.items} DROP COLUMN IF EXISTS reused_from`);
    await runner.query(`ALTER TABLE ${tables.grants} DROP COLUMN IF EXISTS revocation_retained_by`);
    await runner.query(`ALTER TABLE ${tables.grants} DROP COLUMN IF EXISTS revocation_attested_by`);
  }
}

export const migrations: Function[] = [
  AuditReadModels1720000000000,
  AuditParkedEvents1720000000100,
  AuditGrantAttestedBy1720000000200,
  AuditReuseAndRetention1720000000300,
];
