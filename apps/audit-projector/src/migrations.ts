import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PgParkedEvents } from '@kairos/event-store';
import { AuditTables } from './projection/audit-schema';

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

export const migrations: Function[] = [AuditReadModels1720000000000, AuditParkedEvents1720000000100];
