import type { RunningPostgres } from './embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as { __KAIROS_PG__?: RunningPostgres }).__KAIROS_PG__;
  await pg?.stop();
}
