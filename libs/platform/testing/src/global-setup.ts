import { startEmbeddedPostgres } from './embedded-postgres';

// One PostgreSQL cluster per jest run; test files each create a database of their own.
export default async function globalSetup(): Promise<void> {
  const dataDir = `/tmp/kairos-jest-pg-${process.pid}`;
  const pg = await startEmbeddedPostgres({ dataDir });
  process.env.KAIROS_TEST_PG_URL = pg.url;
  (globalThis as { __KAIROS_PG__?: unknown }).__KAIROS_PG__ = pg;
}
