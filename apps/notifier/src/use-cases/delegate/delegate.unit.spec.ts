import { Refusal } from '@kairos/refusal';
import type { Delegation } from '../../domain/delegation';
import { Delegate, type Actor, type DelegationStore } from './delegate';

class MemoryDelegations implements DelegationStore {
  readonly rows: (Delegation & { revokedAt?: string })[] = [];
  async create(d: { delegationId: string; delegatorId: string; delegateId: string; startsAt: Date; endsAt: Date; createdAt: Date }): Promise<Delegation> {
    const row = { ...d, startsAt: d.startsAt.toISOString(), endsAt: d.endsAt.toISOString(), createdAt: d.createdAt.toISOString() };
    this.rows.push(row);
    return row;
  }
  async all(): Promise<Delegation[]> {
    return [...this.rows];
  }
  async involving(personId: string): Promise<Delegation[]> {
    return this.rows.filter((d) => d.delegatorId === personId || d.delegateId === personId);
  }
  async delegatorOf(id: string): Promise<string | undefined> {
    return this.rows.find((d) => d.delegationId === id)?.delegatorId;
  }
  async revoke(id: string, at: Date): Promise<void> {
    const row = this.rows.find((d) => d.delegationId === id);
    if (row && !row.revokedAt) row.revokedAt = at.toISOString();
  }
}

const NOW = new Date('2030-01-01T00:00:00.000Z');
const mia: Actor = { id: 'mia', kind: 'person', admin: false };
const bob: Actor = { id: 'bob', kind: 'person', admin: false };
const admin: Actor = { id: 'ada', kind: 'person', admin: true };
const week = { delegateId: 'bob', startsAt: '2030-01-07T00:00:00Z', endsAt: '2030-01-14T00:00:00Z' };

describe('delegate reviews (out of office)', () => {
  let store: MemoryDelegations;
  let delegate: Delegate;
  beforeEach(() => {
    store = new MemoryDelegations();
    delegate = new Delegate(store, { now: () => NOW });
  });

  it('mints the delegation id itself, one per delegation, and records who delegated to whom', async () => {
    const first = await delegate.create(mia, week);
    const second = await delegate.create(mia, { ...week, delegateId: 'carl' });
    expect(first.delegationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second.delegationId).not.toBe(first.delegationId);
    expect(first).toMatchObject({ delegatorId: 'mia', delegateId: 'bob', startsAt: '2030-01-07T00:00:00.000Z', endsAt: '2030-01-14T00:00:00.000Z', createdAt: NOW.toISOString() });
  });

  it.each([
    ['a service account (only a person delegates)', { id: 'svc-ci', kind: 'service', admin: false } as Actor, week, 'forbidden'],
    ['a delegation to oneself', mia, { ...week, delegateId: 'mia' }, 'invalid'],
    ['an end before the start', mia, { ...week, endsAt: '2030-01-06T00:00:00Z' }, 'invalid'],
    ['more than 90 days', mia, { ...week, endsAt: '2030-04-08T00:00:00Z' }, 'invalid'],
    ['a period already over', mia, { ...week, startsAt: '2029-12-01T00:00:00Z', endsAt: '2029-12-08T00:00:00Z' }, 'invalid'],
  ])('refuses %s and stores nothing', async (_name, actor, input, kind) => {
    await expect(delegate.create(actor, input)).rejects.toMatchObject({ kind });
    expect(store.rows).toHaveLength(0);
  });

  it('lists the delegations made by or to a person; an admin sees all', async () => {
    await delegate.create(mia, week);
    await delegate.create({ id: 'carl', kind: 'person', admin: false }, { ...week, delegateId: 'dora' });
    expect((await delegate.list(bob)).items.map((d) => d.delegatorId)).toEqual(['mia']);
    expect((await delegate.list(admin)).items).toHaveLength(2);
  });

  it('lets only its delegator or an admin end a delegation; an unknown one is not found', async () => {
    const made = await delegate.create(mia, week);
    const refused = await delegate.revoke(bob, made.delegationId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Refusal);
    expect(refused).toMatchObject({ kind: 'forbidden' });
    expect(store.rows[0]!.revokedAt).toBeUndefined();
    await delegate.revoke(admin, made.delegationId);
    expect(store.rows[0]!.revokedAt).toBe(NOW.toISOString());
    await expect(delegate.revoke(mia, 'no-such-delegation')).rejects.toMatchObject({ kind: 'not_found', code: 'DELEGATION_NOT_FOUND' });
  });
});
