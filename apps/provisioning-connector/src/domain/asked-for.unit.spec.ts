import type { GrantRequested } from '@kairos/contracts';
import { askedForByStream, type Asked } from './asked-for';

const data: GrantRequested['data'] = {
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
const asked: Asked = { type: 'GrantRequested', data };

describe('does the request stream ask for this grant?', () => {
  it('confirms a grant the stream recorded as it is', () => {
    expect(askedForByStream(asked, [asked])).toEqual({ ok: true });
  });

  it('ignores what only the message adds beyond the essentials (its own timestamps)', () => {
    expect(askedForByStream({ type: 'GrantRequested', data: { ...data, requestedAt: '2026-03-02T09:30:00.000Z' } }, [asked])).toEqual({ ok: true });
  });

  it('refuses a grant for a request whose stream holds none (a forged request)', () => {
    expect(askedForByStream(asked, [])).toEqual({ ok: false, reason: 'request req-1 has no GrantRequested on its stream' });
  });

  it('refuses a grant the stream never recorded under that grant id', () => {
    const other: Asked = { type: 'GrantRequested', data: { ...data, grantId: 'req-1:item-1:2' } };
    expect(askedForByStream(asked, [other])).toEqual({ ok: false, reason: 'the stream of request req-1 holds no GrantRequested for grant req-1:item-1:1' });
  });

  it.each([
    ['subject', { subject: { id: 'mallory@example.org', kind: 'person' as const } }],
    ['role', { role: 'admin' }],
    ['target', { target: { connector: 'postgres' as const, target: 'app_admin' } }],
    ['resource', { resourceId: 'payroll-db' }],
  ])('refuses a grant that swaps the %s of the recorded one', (_what, swap) => {
    const verdict = askedForByStream({ type: 'GrantRequested', data: { ...data, ...swap } }, [asked]);
    expect(verdict).toEqual({ ok: false, reason: 'GrantRequested for grant req-1:item-1:1 differs from the stream\'s (subject, resource, role or target)' });
  });

  it('refuses a revocation the stream never asked for, even of a grant it recorded', () => {
    const revocation: Asked = {
      type: 'RevocationRequested',
      data: { ...data, reason: 'revoked_by_admin', requestedAt: '2026-03-02T10:00:00.000Z' } as never,
    };
    expect(askedForByStream(revocation, [asked])).toMatchObject({ ok: false });
  });
});
