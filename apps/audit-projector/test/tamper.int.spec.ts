import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import type { DataSource } from 'typeorm';
import { openServiceDataSource } from '@kairos/persistence';
import { createTestDatabase, eventually, type TestDatabase } from '@kairos/testing';
import { migrations } from '../src/migrations';
import { LIVE_SUBSCRIPTION, ProjectionRunner } from '../src/adapters/eventstore/projection-runner';
import { EventStoreStreams } from '../src/adapters/eventstore/stored-streams';
import { AuditTables } from '../src/adapters/postgres/audit-schema';
import { PgRecordedChains } from '../src/adapters/postgres/recorded-chains';
import { findFrame, readFrames, resealFrame, runAuditCli, startServerProcess, withoutFrames, type ServerProcess } from '../src/testing/event-log-file';
import { RequestScenario } from '@kairos/access-request-domain/testing';
import { appendScenario } from '../src/testing/event-store';
import { VerifyStreams, type VerificationReport } from '../src/use-cases/verify-streams/verify-streams';

const clock = { now: () => new Date('2025-06-01T00:00:00.000Z') };
const lifecycle = (who: string) => RequestScenario.create({ id: who, kind: 'person' }, 'db-prod', 'read').requested(0, { automatic: true }).granted(1);

describe('verify, against an attacker who edits the event store behind its back', () => {
  let db: TestDatabase;
  let dataDir: string;
  let server: ServerProcess | undefined;
  let dataSource: DataSource;
  let report: VerificationReport;
  const tables = new AuditTables('audit');
  const altered = lifecycle('u-altered');
  const gap = lifecycle('u-gap');
  const truncatedEnd = lifecycle('u-truncated-end');
  const truncatedStart = lifecycle('u-truncated-start');
  const reIdentified = lifecycle('u-new-id');
  const intact = lifecycle('u-intact');
  const all = [altered, gap, truncatedEnd, truncatedStart, reIdentified, intact];
  let cliEnv: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'kairos-audit-es-'));
    server = await startServerProcess(dataDir);
    dataSource = await openServiceDataSource({ url: db.url, schema: 'audit', migrations });
    let client = EventStoreDBClient.connectionString(server.connectionString);
    for (const s of all) await appendScenario(client, s);

    // The projector sees every event once: that is when the chain is seeded.
    const runner = new ProjectionRunner({ client, dataSource, tables, subscriptionId: LIVE_SUBSCRIPTION, retryDelayMs: 50 });
    runner.start();
    const total = all.reduce((n, s) => n + s.events.length, 0);
    await eventually(async () => Number((await dataSource.query(`SELECT count(*) AS n FROM ${tables.events}`))[0].n) === total, 'the projector to see every event');
    await runner.stop();
    cliEnv = { DATABASE_URL: db.url, DATABASE_SCHEMA: 'audit', EVENTSTORE_URL: server.connectionString, LOG_LEVEL: 'error' };
    const replay = await runAuditCli(['replay'], cliEnv);
    expect(replay).toMatchObject({ code: 0 });
    expect(replay.stdout).toMatch(/events\/s/);
    expect(replay.stdout).toContain('EQUAL');

    // Through the API: events before revision 2 hidden by stream metadata.
    await client.setStreamMetadata(truncatedStart.stream, { truncateBefore: 2 });
    await client.dispose();
    await server.stop();
    server = undefined;

    // Behind the server's back: rewrite its log file, keeping every checksum valid.
    const path = join(dataDir, 'events.log');
    let log = readFileSync(path);
    let frames = readFrames(log);
    const grant = findFrame(frames, altered.stream, 3);
    const data = log.subarray(grant.dataStart, grant.dataEnd);
    const at = data.indexOf('"resourceId":"db-prod"');
    expect(at).toBeGreaterThan(0);
    data.write('"resourceId":"db-test"', at, 'utf8');
    resealFrame(log, grant);
    const renamed = findFrame(frames, reIdentified.stream, 1);
    log.write(renamed.id.startsWith('0') ? '1' : '0', renamed.idStart, 'latin1');
    resealFrame(log, renamed);
    log = withoutFrames(log, [findFrame(frames, gap.stream, 1), findFrame(frames, truncatedEnd.stream, 3)]);
    frames = readFrames(log);
    expect(frames.some((f) => f.stream === gap.stream && f.revision === 1)).toBe(false);
    writeFileSync(path, log);

    server = await startServerProcess(dataDir);
    client = EventStoreDBClient.connectionString(server.connectionString);
    cliEnv = { ...cliEnv, EVENTSTORE_URL: server.connectionString };
    try {
      report = await new VerifyStreams(new PgRecordedChains(dataSource, tables), new EventStoreStreams(client), clock).run();
    } finally {
      await client.dispose();
    }
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await dataSource?.destroy();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const failure = (stream: string) => report.failed.find((f) => f.stream === stream);

  it('names the stream whose event data was rewritten in the data file', () => {
    expect(failure(altered.stream)?.problems).toEqual([expect.objectContaining({ kind: 'altered', revision: '3' })]);
  });

  it('names the stream whose event no longer carries the id it was recorded with', () => {
    const problem = failure(reIdentified.stream)?.problems[0];
    expect(problem).toMatchObject({ kind: 'altered', revision: '1' });
    expect(problem).not.toHaveProperty('eventId', (problem as { recordedEventId: string }).recordedEventId);
  });

  it('names the stream with a missing revision', () => {
    expect(failure(gap.stream)?.problems).toEqual([{ kind: 'gap', missingRevisions: ['1'] }]);
  });

  it('names the stream that lost its last event', () => {
    expect(failure(truncatedEnd.stream)?.problems).toEqual([{ kind: 'truncated_end', lastRevision: '2', lastRecordedRevision: '3' }]);
  });

  it('names the stream truncated from the start through stream metadata', () => {
    expect(failure(truncatedStart.stream)?.problems).toEqual([{ kind: 'truncated_start', firstRevision: '2' }]);
  });

  it('passes the untouched stream and fails the report', () => {
    expect(report.ok).toBe(false);
    expect(report.failed.map((f) => f.stream)).not.toContain(intact.stream);
    expect(report.failed).toHaveLength(5);
    expect(report.intact).toBe(1);
  });

  it('prints the failing streams and exits non-zero from npm run audit -- verify', async () => {
    const result = await runAuditCli(['verify'], cliEnv);
    expect(result.code).toBe(1);
    for (const s of [altered, gap, truncatedEnd, truncatedStart, reIdentified]) expect(result.stdout).toContain(`FAILED ${s.stream}`);
    expect(result.stdout).not.toContain(`FAILED ${intact.stream}`);
    expect(result.stdout).toContain('NOT OK: 5 stream(s) failed');
  }, 120_000);
});
