import { GrantRefusedError, type Connector, type GrantAnswer, type GrantSpec } from '../../domain/connector';
import type { AttemptOutcome, ConnectorName, Job, JobWithContext, NextJobState, TargetState } from '../../domain/job';
import type { CallReport } from '../../domain/stuck';
import type { CredentialsSink, JobStore } from './ports';
import { RunJob, specOf } from './run-job';

// The run-job use case over its ports: an in-memory job store, and scripted connectors standing in
// for target systems (the connectors themselves are proved against real targets in test/).

const now = new Date('2026-03-02T09:00:00.000Z');
const clock = { now: () => now };
const retry = { maxAttempts: 3, backoffMs: 1_000, maxBackoffMs: 10_000 };
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

const job = (overrides: Partial<JobWithContext> = {}): JobWithContext => ({
  id: 'job-1',
  requestId: 'req-1',
  itemId: 'item-1',
  grantId: 'req-1:item-1:1',
  action: 'grant',
  connector: 'postgres',
  target: 'app_reader',
  subject: { id: 'nina@example.org', kind: 'person' },
  resourceId: 'orders-db',
  role: 'reader',
  accessRole: 'app_reader',
  status: 'running',
  attempts: 1,
  ...overrides,
});

class MemoryJobStore implements JobStore {
  holders: string[] = [];
  retained: { job: Job; retainedBy: readonly string[] }[] = [];
  tickets: { job: Job; ticketId: string }[] = [];
  attempts: { outcome: AttemptOutcome; next: NextJobState; answer?: string }[] = [];
  takenOver = false;

  async otherHolders(): Promise<string[]> {
    return this.holders;
  }
  async finishRetained(job: Job, retainedBy: readonly string[]): Promise<boolean> {
    this.retained.push({ job, retainedBy });
    return true;
  }
  async openTicket(job: Job, ticketId: string): Promise<boolean> {
    if (this.takenOver) return false;
    this.tickets.push({ job, ticketId });
    return true;
  }
  async finishAttempt(_job: Job, outcome: AttemptOutcome, next: NextJobState, answer: string | undefined): Promise<boolean> {
    if (this.takenOver) return false;
    this.attempts.push({ outcome, next, ...(answer !== undefined ? { answer } : {}) });
    return true;
  }
}

/** A target system that answers as scripted and reports the state `verify` finds. */
function scripted(script: { call?: () => Promise<GrantAnswer>; state?: () => Promise<TargetState> }): Connector & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'postgres',
    configured: true,
    calls,
    grant: async (spec: GrantSpec) => {
      calls.push(`grant ${spec.accessRole}`);
      return script.call ? script.call() : undefined;
    },
    revoke: async (spec: GrantSpec) => {
      calls.push(`revoke ${spec.accessRole}`);
      await script.call?.();
    },
    verify: async (spec: GrantSpec) => {
      calls.push(`verify ${spec.accessRole}`);
      return script.state ? script.state() : 'present';
    },
    health: async () => ({ healthy: true }),
    close: async () => undefined,
  };
}

function runJob(jobs: MemoryJobStore, connector?: Connector, extra: { credentials?: CredentialsSink; reports?: CallReport[] } = {}) {
  const connectors = new Map<ConnectorName, Connector>(connector ? [['postgres', connector]] : []);
  return new RunJob({
    jobs,
    connectors,
    clock,
    retry,
    log: quiet,
    describe: (error) => (error instanceof Error ? error.message : String(error)).replace(/password=\S+/, 'password=***'),
    newId: () => 'ticket-minted-by-the-use-case',
    ...(extra.credentials ? { credentials: extra.credentials } : {}),
    ...(extra.reports ? { calls: { recordCall: (_c: ConnectorName, _t: string, report: CallReport) => void extra.reports!.push(report) } } : {}),
  });
}

describe('running a job (use case)', () => {
  it('records a grant the target verifiably holds as succeeded, with what the target answered', async () => {
    const jobs = new MemoryJobStore();
    const target = scripted({ call: async () => 'GRANT app_reader TO kairos_nina' });
    const outcome = await runJob(jobs, target).run(job());
    expect(target.calls).toEqual(['grant app_reader', 'verify app_reader']);
    expect(outcome).toEqual({ kind: 'attempted', outcome: { kind: 'succeeded', verified: true }, recorded: true });
    expect(jobs.attempts).toEqual([{ outcome: { kind: 'succeeded', verified: true }, next: { status: 'succeeded' }, answer: 'GRANT app_reader TO kairos_nina' }]);
  });

  it('fails an attempt whose call answered fine but whose access verification does not find, and schedules a retry', async () => {
    const jobs = new MemoryJobStore();
    await runJob(jobs, scripted({ state: async () => 'absent' })).run(job());
    expect(jobs.attempts[0]!.outcome).toMatchObject({ kind: 'failed', verified: true });
    expect(jobs.attempts[0]!.next).toEqual({ status: 'pending', nextAttemptAt: new Date(now.getTime() + 1_000) });
  });

  it('fails a refused grant for good without asking the target about it', async () => {
    const jobs = new MemoryJobStore();
    const target = scripted({ call: async () => Promise.reject(new GrantRefusedError('pg_read_server_files is never granted')) });
    await runJob(jobs, target).run(job());
    expect(target.calls).toEqual(['grant app_reader']);
    expect(jobs.attempts).toEqual([
      { outcome: { kind: 'failed', verified: false, refused: true, reason: 'pg_read_server_files is never granted' }, next: { status: 'failed' } },
    ]);
  });

  it('scrubs what a failing target said before it is recorded (no password in the reason)', async () => {
    const jobs = new MemoryJobStore();
    const target = scripted({ call: async () => Promise.reject(new Error('connect failed: host=db password=hunter2')), state: async () => 'absent' });
    await runJob(jobs, target).run(job());
    const outcome = jobs.attempts[0]!.outcome;
    expect(outcome.kind === 'failed' && outcome.reason).toContain('password=***');
    expect(JSON.stringify(jobs.attempts)).not.toContain('hunter2');
  });

  it('reports a timed-out call (for the stuck-connector check) and an answered one', async () => {
    const reports: CallReport[] = [];
    const timeout = scripted({ call: async () => Promise.reject(new Error('canceling statement due to statement timeout')), state: async () => 'absent' });
    await runJob(new MemoryJobStore(), timeout, { reports }).run(job());
    await runJob(new MemoryJobStore(), scripted({}), { reports }).run(job());
    expect(reports).toEqual([{ kind: 'timed_out', reason: 'canceling statement due to statement timeout', at: now }, { kind: 'answered' }]);
  });

  it('leaves the target alone when other active grants need the same access, and says which', async () => {
    const jobs = new MemoryJobStore();
    jobs.holders = ['req-0:item-1:1'];
    const target = scripted({});
    const outcome = await runJob(jobs, target).run(job({ action: 'revoke' }));
    expect(target.calls).toEqual([]);
    expect(outcome).toEqual({ kind: 'retained', retainedBy: ['req-0:item-1:1'] });
    expect(jobs.retained.map((r) => r.retainedBy)).toEqual([['req-0:item-1:1']]);
  });

  it('opens a ticket with an id it mints for a manual job, and calls nothing', async () => {
    const jobs = new MemoryJobStore();
    const outcome = await runJob(jobs).run(job({ connector: 'manual' }));
    expect(outcome).toEqual({ kind: 'ticket_opened', ticketId: 'ticket-minted-by-the-use-case' });
    expect(jobs.tickets.map((t) => t.ticketId)).toEqual(['ticket-minted-by-the-use-case']);
  });

  it('claims no ticket when the job was taken over by another worker meanwhile', async () => {
    const jobs = new MemoryJobStore();
    jobs.takenOver = true;
    expect(await runJob(jobs).run(job({ connector: 'manual' }))).toEqual({ kind: 'ticket_opened', ticketId: undefined });
  });

  it('hands issued credentials to the credentials store only, never to the job record', async () => {
    const jobs = new MemoryJobStore();
    const kept: string[] = [];
    const credentials: CredentialsSink = { issued: async (grant, issued) => void kept.push(`${grant.grantId} ${issued.login} ${issued.password}`) };
    const target = scripted({ call: async () => ({ answer: 'login created', credentials: { login: 'kairos_jit_nina', password: 's3cret-pw', validUntil: now.toISOString() } }) });
    await runJob(jobs, target, { credentials }).run(job());
    expect(kept).toEqual(['req-1:item-1:1 kairos_jit_nina s3cret-pw']);
    expect(JSON.stringify(jobs.attempts)).not.toContain('s3cret-pw');
  });

  it('refuses to drop issued credentials when there is nowhere to keep them', async () => {
    const target = scripted({ call: async () => ({ credentials: { login: 'kairos_jit_nina', password: 'pw', validUntil: now.toISOString() } }) });
    await expect(runJob(new MemoryJobStore(), target).run(job())).rejects.toThrow('nowhere to keep them');
  });

  it('claims nothing about a job that does not say which role it is about', async () => {
    const jobs = new MemoryJobStore();
    const target = scripted({});
    await runJob(jobs, target).run(job({ accessRole: '' }));
    expect(target.calls).toEqual([]);
    expect(jobs.attempts[0]!.outcome).toEqual({ kind: 'failed', verified: false, refused: true, reason: 'the job does not say which role it is about' });
  });

  it('fails loudly for a connector that is not registered', async () => {
    await expect(runJob(new MemoryJobStore()).run(job())).rejects.toThrow('no postgres connector is registered');
  });

  it('carries what the request said into the connector spec', () => {
    expect(specOf(job({ justification: 'incident 42', requestTicket: 'OPS-7', expiresAt: now.toISOString() }))).toMatchObject({
      justification: 'incident 42',
      ticket: 'OPS-7',
      expiresAt: now.toISOString(),
      breakGlass: false,
    });
  });
});
