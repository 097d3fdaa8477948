import type { MigrationInterface, QueryRunner } from 'typeorm';
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

export const migrations: Function[] = [AuditReadModels1720000000000];
