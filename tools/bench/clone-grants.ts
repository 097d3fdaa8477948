import { Client } from 'pg';

/**
 * Active grants at sizes the public API cannot fill within a benchmark (at ~12 requests a second,
 * 100,000 grants take over two hours): copies of grants the platform really made, written straight
 * into the tables that hold an active grant — the request read model and its history, the expiry
 * scheduler's pending timers, the provisioning connector's jobs, active grants and request items.
 * Every id in a copy is its source's with the request id replaced by a new one (grant, timer and
 * item ids embed the request id), so a copy is the same rows the platform would have written for
 * one more request of the same shape, due at the same time.
 *
 * What a copy does not have: a stream in the event store (nothing reads it during the bench; its
 * timer is due after the bench ends), Kafka messages, inbox rows, audit rows (the audit hash chain
 * is not forged), or a membership of its own in the target (the bench's requesters already hold the
 * role there; the connector counts grants per holder in its own tables).
 */
export const CLONED_TABLES = [
  ['request_service', 'access_requests'],
  ['request_service', 'access_request_history'],
  ['expiry_scheduler', 'timers'],
  ['provisioning', 'provisioning_jobs'],
  ['provisioning', 'provisioning_active_grants'],
  ['provisioning', 'provisioning_request_items'],
] as const;

/** How each column of a copy is made from its source: request ids replaced, keys of its own minted. */
function copyExpression(column: { name: string; type: string; hasDefault: boolean }): string | undefined {
  const quoted = `"${column.name}"`;
  if (column.name === 'seq' && column.hasDefault) return undefined; // bigserial: the table numbers the copy
  if (column.type === 'uuid') return column.name === 'request_id' ? 'c.dst::uuid' : 'gen_random_uuid()';
  if (column.type === 'text') return `replace(t.${quoted}, c.src, c.dst)`;
  if (column.type === 'jsonb') return `replace(t.${quoted}::text, c.src, c.dst)::jsonb`;
  return `t.${quoted}`;
}

/**
 * Adds `count` active grants, copied round-robin from the requests active now (status `active`,
 * with a pending access-expiry timer). Returns how many requests served as sources.
 */
export async function cloneActiveGrants(databaseUrl: string, count: number): Promise<{ sources: number; cloned: number }> {
  if (count <= 0) return { sources: 0, cloned: 0 };
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query(
      `CREATE TEMP TABLE bench_clone_sources ON COMMIT DROP AS
         SELECT DISTINCT a.request_id::text AS src FROM request_service.access_requests a
         JOIN expiry_scheduler.timers t ON t.request_id = a.request_id::text AND t.kind = 'access_expiry' AND t.status = 'pending'
         WHERE a.status = 'active'`,
    );
    const { rows: [counted] } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bench_clone_sources');
    const sourceCount = counted!.n;
    if (sourceCount === 0) throw new Error('no active grant to copy: fill some through the API first');
    await db.query(
      `CREATE TEMP TABLE bench_clone ON COMMIT DROP AS
         SELECT s.src, gen_random_uuid()::text AS dst
         FROM generate_series(1, $1::int) AS n
         JOIN (SELECT src, row_number() OVER (ORDER BY src) - 1 AS k FROM bench_clone_sources) s ON s.k = (n - 1) % $2`,
      [count, sourceCount],
    );
    for (const [schema, name] of CLONED_TABLES) {
      const table = `${schema}.${name}`;
      const { rows: columns } = await db.query<{ name: string; type: string; hasDefault: boolean }>(
        `SELECT column_name AS name, data_type AS type, column_default IS NOT NULL AS "hasDefault"
           FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [schema, name],
      );
      if (columns.length === 0) throw new Error(`table ${table} not found: the schema changed, update tools/bench/clone-grants.ts`);
      const copied = columns.map((c) => [c.name, copyExpression(c)] as const).filter(([, e]) => e !== undefined);
      await db.query(
        `INSERT INTO ${table} (${copied.map(([n]) => `"${n}"`).join(', ')})
           SELECT ${copied.map(([, e]) => e).join(', ')} FROM ${table} t JOIN bench_clone c ON t.request_id::text = c.src`,
      );
    }
    await db.query('COMMIT');
    await db.query(`ANALYZE ${CLONED_TABLES.map(([schema, name]) => `${schema}.${name}`).join(', ')}`);
    return { sources: sourceCount, cloned: count };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
}
