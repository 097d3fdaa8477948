import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalogue's connectors come from the one list in @kairos/contracts (CONNECTOR_NAMES), checked
 * by the API; a CHECK constraint frozen in a migration would be a second list (ADR 0017).
 */
export class ConnectorsFromTheList1733000000020 implements MigrationInterface {
  name = 'ConnectorsFromTheList1733000000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resources DROP CONSTRAINT IF EXISTS resources_connector_check`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE resources ADD CONSTRAINT resources_connector_check CHECK (connector IN ('postgres', 'webhook', 'manual'))`);
  }
}
