import type { AccessRequested, GrantRequested, RevocationRequested } from '@kairos/contracts';
import type { JobLedger, Recordable, RequestEvent, RequestStream } from './ports';
import { RecordRequestedJob } from './record-requested-job';

// The record-requested-job use case over in-memory ports: a ledger that keeps what it is given
// (keyed as the SQL's unique constraint is) and a request stream that confirms or refuses.

const now = new Date('2026-03-02T09:00:00.000Z');

const grant: GrantRequested['data'] = {
  requestId: 'req-1',
  itemId: 'item-1',
  grantId: 'req-1:item-1:1',
  subject: { id: 'nina@example.org', kind: 'person' },
  resourceId: 'orders-db',
  role: 'reader',
  target: { connector: 'postgres', target: 'app_reader' },
  duration: 'PT1H',
  breakGlass: false,
  requestedAt: '2026-03-02T08:59:00.000Z',
};

const revocation: RevocationRequested['data'] = {
  requestId: 'req-1',
  itemId: 'item-1',
  grantId: 'req-1:item-1:1',
  reason: 'revoked_by_admin',
  requestedBy: 'maria@example.org',
  subject: grant.subject,
  resourceId: grant.resourceId,
  role: grant.role,
  target: grant.target,
  requestedAt: '2026-03-02T10:00:00.000Z',
};

const requested = {
  requestId: 'req-1',
  requester: grant.subject,
  requestedBy: 'lead@example.org',
  onBehalf: true,
  justification: 'incident 42',
  ticket: 'OPS-7',
  duration: 'PT1H',
  breakGlass: false,
  items: [
    {
      itemId: 'item-1',
      resourceId: 'orders-db',
      role: 'reader',
      pendingExpiresAt: '2026-03-03T09:00:00.000Z',
      policy: {
        policyId: 'orders-db/tier-1',
        policyVersion: 1,
        tier: 1,
        mode: 'steps',
        steps: [{ name: 'resource owners', mode: 'resource_owner', approvers: ['olga', 'bob'], required: 1 }],
        approvalValidity: 'P1D',
        maxDuration: 'P7D',
        pendingTtl: 'P1D',
        justificationRequired: true,
        extensionRequiresApproval: true,
        breakGlass: { allowed: false, ratifyWithin: 'PT1H', ratifiers: [] },
        target: grant.target,
      },
    },
  ],
  requestedAt: '2026-03-02T08:59:00.000Z',
} as AccessRequested['data'];

const message = (type: string, data: unknown): RequestEvent => ({ id: `msg-${type}`, type, data, correlationId: 'corr-1' });

class MemoryLedger implements JobLedger {
  readonly kept = new Map<string, Recordable>();
  async record(recordable: Recordable): Promise<boolean> {
    const key = recordable.kind === 'job' ? `${recordable.requestId}/${recordable.itemId}/${recordable.action}/${recordable.grantId}` : `request ${JSON.stringify(recordable.items)}`;
    if (this.kept.has(key)) return false;
    this.kept.set(key, recordable);
    return true;
  }
}

const confirming: RequestStream = { confirm: async () => undefined };
let ids = 0;
const useCase = (stream: RequestStream = confirming) =>
  new RecordRequestedJob(stream, (connector, access) => `${connector}:${access.target}`, { now: () => now }, () => `job-${++ids}`);

describe('recording what an access-request event asks for (use case)', () => {
  it('records a grant the stream confirms as a job with an id it mints, the access role its plug-in names, and the correlation id', async () => {
    const ledger = new MemoryLedger();
    expect(await useCase().handle(message('GrantRequested', grant), ledger)).toEqual({ kind: 'recorded' });
    const [job] = [...ledger.kept.values()];
    expect(job).toMatchObject({
      kind: 'job',
      action: 'grant',
      connector: 'postgres',
      target: 'app_reader',
      accessRole: 'postgres:app_reader',
      duration: 'PT1H',
      correlationId: 'corr-1',
    });
    expect(job!.kind === 'job' && job!.id).toMatch(/^job-\d+$/);
  });

  it('records a revocation with its reason and who asked for it', async () => {
    const ledger = new MemoryLedger();
    await useCase().handle(message('RevocationRequested', revocation), ledger);
    expect([...ledger.kept.values()][0]).toMatchObject({ action: 'revoke', revocationReason: 'revoked_by_admin', revocationRequestedBy: 'maria@example.org' });
  });

  it('says a second request for the same effect is a duplicate', async () => {
    const ledger = new MemoryLedger();
    await useCase().handle(message('GrantRequested', grant), ledger);
    expect(await useCase().handle({ ...message('GrantRequested', grant), id: 'msg-again' }, ledger)).toEqual({ kind: 'duplicate' });
    expect(ledger.kept.size).toBe(1);
  });

  it('keeps who asked, why and who may fulfil each item of an AccessRequested (the resource owners, never the requester)', async () => {
    const ledger = new MemoryLedger();
    await useCase().handle(message('AccessRequested', requested), ledger);
    expect([...ledger.kept.values()]).toEqual([
      {
        kind: 'request',
        items: [
          {
            requestId: 'req-1',
            itemId: 'item-1',
            requesterId: 'nina@example.org',
            requestedBy: 'lead@example.org',
            justification: 'incident 42',
            ticket: 'OPS-7',
            resourceId: 'orders-db',
            role: 'reader',
            fulfillers: ['bob', 'olga'],
          },
        ],
      },
    ]);
  });

  it('ignores the events of the topic it has nothing to do with', async () => {
    const ledger = new MemoryLedger();
    expect(await useCase().handle(message('AccessApproved', { requestId: 'req-1' }), ledger)).toEqual({ kind: 'ignored' });
    expect(ledger.kept.size).toBe(0);
  });

  it('records nothing the request stream does not confirm (a forged grant), and passes its refusal on', async () => {
    const ledger = new MemoryLedger();
    const refusing: RequestStream = {
      confirm: async () => {
        throw new Error('not asked for by the request stream');
      },
    };
    await expect(useCase(refusing).handle(message('GrantRequested', grant), ledger)).rejects.toThrow('not asked for by the request stream');
    expect(ledger.kept.size).toBe(0);
  });
});
