import { RETAINED_BY_NAMED, retainingGrants } from './holders';
import { afterAttempt, judgeAttempt, retryDelayMs, type RetryPolicy } from './job';
import { loginMapProblem, loginOf, NoLoginError } from './logins';
import { identityRoleName, targetRoleName, UnsafeNameError } from './names';
import { resultMessage } from './results';
import { sign, verifySignature } from './signature';
import { afterCall, isTimeout, stuckReason } from './stuck';

const policy: RetryPolicy = { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 250 };
const now = new Date('2026-01-05T10:00:00.000Z');

describe('retries', () => {
  it('doubles the delay per attempt up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, policy))).toEqual([100, 200, 250, 250]);
  });

  it('schedules the next attempt after a failure before the last', () => {
    expect(afterAttempt(1, { kind: 'failed', reason: 'x', verified: false }, policy, now)).toEqual({
      status: 'pending',
      nextAttemptAt: new Date(now.getTime() + 100),
    });
  });

  it('fails for good after the last attempt', () => {
    expect(afterAttempt(3, { kind: 'failed', reason: 'x', verified: false }, policy, now)).toEqual({ status: 'failed' });
  });
});

describe('judging an attempt by verification', () => {
  it('takes a call that errored but left the access in place as a success', () => {
    expect(judgeAttempt('grant', { ok: false, reason: 'timeout' }, { ok: true, state: 'present' })).toMatchObject({
      kind: 'succeeded',
      verified: true,
    });
  });

  it('never takes a successful call for a success when the target says otherwise', () => {
    expect(judgeAttempt('revoke', { ok: true }, { ok: true, state: 'present' })).toMatchObject({ kind: 'failed', verified: true });
  });

  it('reports an unverifiable attempt as an unverified failure', () => {
    expect(judgeAttempt('grant', { ok: true }, { ok: false, reason: 'down' })).toMatchObject({ kind: 'failed', verified: false });
  });
});

describe('names reaching SQL', () => {
  it('rejects a target role smuggling SQL (SQL-injection attack)', () => {
    expect(() => targetRoleName('app_readonly"; DROP ROLE admin; --')).toThrow(UnsafeNameError);
    expect(() => targetRoleName('App_ReadOnly')).toThrow(UnsafeNameError);
  });

  it('rejects built-in pg_ roles and the identity roles themselves', () => {
    expect(() => targetRoleName('pg_execute_server_program')).toThrow(UnsafeNameError);
    expect(() => targetRoleName('kairos_someone_0123456789')).toThrow(UnsafeNameError);
  });

  it('folds any subject id to a plain identifier and keeps similar ids apart', () => {
    const a = identityRoleName('Alice.Smith@example.com');
    const b = identityRoleName('alice-smith@example.com');
    expect(a).toMatch(/^kairos_[a-z0-9_]+$/);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toEqual(b);
    expect(identityRoleName('x'.repeat(200)).length).toBeLessThanOrEqual(63);
  });

  it('rejects a subject id carrying control characters', () => {
    expect(() => identityRoleName('bob\u0000')).toThrow(UnsafeNameError);
  });
});

describe('webhook signatures', () => {
  const body = '{"action":"grant"}';
  const ts = 1_767_600_000;

  it('accepts its own signature within the window', () => {
    expect(verifySignature('k', { signature: sign('k', ts, body), timestamp: String(ts) }, body, ts + 10)).toBe(true);
  });

  it('rejects a replayed delivery once the window has passed', () => {
    expect(verifySignature('k', { signature: sign('k', ts, body), timestamp: String(ts) }, body, ts + 301)).toBe(false);
  });

  it('rejects a replay with a fresh timestamp header', () => {
    expect(verifySignature('k', { signature: sign('k', ts, body), timestamp: String(ts + 600) }, body, ts + 600)).toBe(false);
  });

  it('rejects a tampered body', () => {
    expect(verifySignature('k', { signature: sign('k', ts, body), timestamp: String(ts) }, '{"action":"revoke"}', ts)).toBe(false);
  });
});

describe('result messages', () => {
  const job = {
    id: 'j1',
    requestId: 'r1',
    itemId: 'i1',
    grantId: 'g1',
    action: 'revoke' as const,
    connector: 'postgres' as const,
    target: 't',
    subject: { id: 's', kind: 'person' as const },
    resourceId: 'orders-db',
    role: 'reader',
    accessRole: 't',
    status: 'running' as const,
    attempts: 2,
  };

  it('names the message after the action, with a stable id per attempt', () => {
    const { id, message } = resultMessage(job, 2, { kind: 'failed', reason: 'no', final: true, verified: true }, now, (text) => text);
    expect(id).toBe('provisioning:j1:failed:2');
    expect(message).toEqual({
      type: 'RevokeFailed',
      data: { requestId: 'r1', itemId: 'i1', grantId: 'g1', attempt: 2, at: now.toISOString(), reason: 'no', final: true, verified: true },
    });
  });

  it('passes a failure reason through the redaction before it is published, then cuts it to 2,000 characters', () => {
    const reason = `connect to postgres://kairos:s3cret@db failed ${'x'.repeat(3_000)}`;
    const redact = (text: string) => text.replace('kairos:s3cret@', '***@');
    const { message } = resultMessage(job, 1, { kind: 'failed', reason, final: false, verified: false }, now, redact);
    const published = (message.data as { reason: string }).reason;
    expect(published).not.toContain('s3cret');
    expect(published.startsWith('connect to postgres://***@db failed')).toBe(true);
    expect(published).toHaveLength(2_000);
  });
});

describe('a stuck connector (calls to a target keep timing out)', () => {
  const at = new Date('2026-01-05T10:00:00.000Z');
  const timedOut = { kind: 'timed_out' as const, reason: 'canceling statement due to lock timeout', at };

  it('is stuck after timeouts in a row, not after one', () => {
    const once = afterCall(undefined, timedOut);
    expect(stuckReason('app_x', once, at, 60_000)).toBeUndefined();
    expect(stuckReason('app_x', afterCall(once, timedOut), at, 60_000)).toBe(
      'stuck: 2 calls in a row to target app_x timed out (last: canceling statement due to lock timeout)',
    );
  });

  it('is no longer stuck once a call gets an answer, or when nobody called for the window', () => {
    const twice = afterCall(afterCall(undefined, timedOut), timedOut);
    expect(stuckReason('app_x', afterCall(twice, { kind: 'answered' }), at, 60_000)).toBeUndefined();
    expect(stuckReason('app_x', twice, new Date(at.getTime() + 60_001), 60_000)).toBeUndefined();
  });

  it('tells timeouts from other failures', () => {
    expect(isTimeout(Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }))).toBe(true);
    expect(isTimeout(Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }))).toBe(true);
    expect(isTimeout(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }))).toBe(true);
    expect(isTimeout(Object.assign(new Error('role "app_x" does not exist'), { code: '42704' }))).toBe(false);
    expect(isTimeout('timeout')).toBe(false);
  });
});

const at = (s: number) => new Date(1_767_600_000_000 + s * 1000);

describe('reference counting per (identity, target, role)', () => {
  const active = [
    { grantId: 'g-viewer', accessRole: 'viewer', grantedAt: at(1) },
    { grantId: 'g-admin-2', accessRole: 'admin', grantedAt: at(3) },
    { grantId: 'g-admin-1', accessRole: 'admin', grantedAt: at(2) },
    { grantId: 'g-unknown', accessRole: '', grantedAt: at(0) },
  ];
  it('keeps the role for other grants of the same role only, oldest first', () => {
    expect(retainingGrants({ grantId: 'g-admin-3', accessRole: 'admin' }, active)).toEqual(['g-admin-1', 'g-admin-2']);
  });
  it("never keeps Dave's admin because he still holds viewer", () => {
    expect(retainingGrants({ grantId: 'g-admin-1', accessRole: 'admin' }, active.filter((g) => g.accessRole !== 'admin'))).toEqual([]);
  });
  it('names at most RETAINED_BY_NAMED of them, the earliest granted, however many the identity holds', () => {
    const many = Array.from({ length: 2_000 }, (_, i) => ({ grantId: `g-${String(i).padStart(4, '0')}`, accessRole: 'readonly', grantedAt: at(2_000 - i) }));
    const named = retainingGrants({ grantId: 'g-new', accessRole: 'readonly' }, many);
    expect(named).toHaveLength(RETAINED_BY_NAMED);
    expect(named).toEqual(['g-1999', 'g-1998', 'g-1997', 'g-1996', 'g-1995', 'g-1994', 'g-1993', 'g-1992', 'g-1991', 'g-1990']);
  });
  it('never counts the revoked grant itself, nor grants whose role was never recorded', () => {
    expect(retainingGrants({ grantId: 'g-viewer', accessRole: 'viewer' }, active)).toEqual([]);
    expect(retainingGrants({ grantId: 'old', accessRole: '' }, active)).toEqual([]);
  });
});

describe("a person's own login", () => {
  it('comes from the directory mapping first, then the naming rule', () => {
    const directory = { map: ['alice@example.com=alice_pg'], rule: '{local}_db' };
    expect(loginOf('alice@example.com', directory, 'PostgreSQL')).toBe('alice_pg');
    expect(loginOf('bob@example.com', directory, 'PostgreSQL')).toBe('bob_db');
  });
  it('is refused when neither knows the identity', () => {
    expect(() => loginOf('carol', { map: [], rule: '' }, 'GitHub')).toThrow(NoLoginError);
  });
  it('refuses a malformed mapping without echoing it', () => {
    expect(loginMapProblem(['alice=a', 'secret-ish'])).toBe('entry 2 is not identity=login');
  });
});
