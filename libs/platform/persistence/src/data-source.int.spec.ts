import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@kairos/testing';
import { openServiceDataSource } from './data-source';

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE widgets (id text PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE widgets');
  }
}

describe('a service data source', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('creates its own schema and runs its migrations there, once', async () => {
    const first = await openServiceDataSource({ url: db.url, schema: 'widget_service', migrations: [CreateWidgets1700000000000] });
    await first.query(`INSERT INTO widgets (id) VALUES ('a')`);
    await first.destroy();
    const second = await openServiceDataSource({ url: db.url, schema: 'widget_service', migrations: [CreateWidgets1700000000000] });
    const rows = await second.query(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'widgets'`);
    expect(rows).toEqual([{ table_schema: 'widget_service' }]);
    expect(await second.query('SELECT id FROM widget_service.widgets')).toEqual([{ id: 'a' }]);
    await second.destroy();
  });

  it('refuses a schema name that could inject SQL', async () => {
    await expect(openServiceDataSource({ url: db.url, schema: 'x"; DROP TABLE y; --', migrations: [] })).rejects.toThrow(/not a valid schema name/);
  });
});
