import type { Principal } from '@kairos/auth';
import type { AccessRequestView } from '@kairos/access-request-domain';
import { commandMetadata, ownsRequest, seesAll } from './access';

const principal = (id: string, ...roles: string[]): Principal => ({ id, kind: 'person', roles: roles as Principal['roles'], token: 'secret-token' });

describe('who sees which requests', () => {
  const onBehalf = { requester: { id: 'svc-ci', kind: 'service' }, requestedBy: 'admin-ann' } as AccessRequestView;

  it('lets admins and auditors see every request, and no one else', () => {
    expect(seesAll(principal('ann', 'admin'))).toBe(true);
    expect(seesAll(principal('audrey', 'auditor'))).toBe(true);
    expect(seesAll(principal('alice', 'requester'))).toBe(false);
    expect(seesAll(principal('rita', 'approver'))).toBe(false);
  });

  it('counts a request as owned by whom it is for and by who submitted it', () => {
    expect(ownsRequest(principal('svc-ci', 'requester'), onBehalf)).toBe(true);
    expect(ownsRequest(principal('admin-ann', 'requester'), onBehalf)).toBe(true);
    expect(ownsRequest(principal('mallory', 'requester'), onBehalf)).toBe(false);
  });

  it('puts the actor and the instant in a command, never the caller’s token', () => {
    const metadata = commandMetadata(principal('alice', 'requester', 'approver'), new Date('2026-03-01T09:00:00.000Z'), 'corr-1');
    expect(metadata).toEqual({ now: '2026-03-01T09:00:00.000Z', actor: { id: 'alice', roles: ['requester', 'approver'] }, correlationId: 'corr-1' });
    expect(JSON.stringify(metadata)).not.toContain('secret-token');
  });
});
