import { Client } from 'pg';
import { createTestDatabase } from './test-database';

describe('a test database', () => {
  it('is a real, isolated PostgreSQL database', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    const ca = new Client({ connectionString: a.url });
    const cb = new Client({ connectionString: b.url });
    await ca.connect();
    await cb.connect();
    await ca.query('create table only_in_a (id int)');
    const inB = await cb.query(`select to_regclass('only_in_a') as t`);
    expect(inB.rows[0].t).toBeNull();
    await ca.end();
    await cb.end();
    await a.drop();
    await b.drop();
  });
});
