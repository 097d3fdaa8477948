import type { INestApplication } from '@nestjs/common';
import { createKairosClient, idempotencyKey, KairosApiError, type KairosClient } from '@kairos/api-client';
import { discoverServices, startServices, type RunningServices } from './services';

/** The generated typed client against the real services, in-process on real PostgreSQL, Kafka and EventStoreDB. */
describe('the typed Kairos client', () => {
  let running: RunningServices;
  const urls: Record<string, string> = {};
  const seen: { url: string; headers: Headers }[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    seen.push({ url: request.url, headers: request.headers });
    return fetch(request);
  };
  let admin: KairosClient;
  let alice: KairosClient;

  const listen = async (app: INestApplication) => {
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${app.getHttpServer().address().port}`;
  };

  beforeAll(async () => {
    const services = discoverServices().filter((s) => ['approval-policy-service', 'request-service'].includes(s.name));
    // The request service evaluates policy at submission: it is started knowing where the policy service listens.
    running = await startServices(services, async (name, started) =>
      name === 'request-service'
        ? { APPROVAL_POLICY_URL: (urls.policy = await listen(started.get('approval-policy-service')!)) }
        : ({} as Record<string, string>),
    );
    urls.requests = await listen(running.apps.get('request-service')!);
    const client = (token: () => Promise<string>) =>
      createKairosClient({ baseUrls: { policy: urls.policy, requests: urls.requests }, token, fetch: recordingFetch });
    admin = client(() => running.token('root', ['admin']));
    alice = client(() => running.token('alice', ['requester']));
  }, 180_000);

  afterAll(async () => {
    await running?.close();
  }, 120_000);

  it('writes and reads the catalogue with typed bodies, the token in a header and never in the URL', async () => {
    await admin.policy.POST('/v1/identities', { body: { id: 'maria', kind: 'person', displayName: 'Maria' } });
    await admin.policy.POST('/v1/identities', {
      body: { id: 'alice', kind: 'person', displayName: 'Alice', managerId: 'maria', groups: ['payments'] },
    });
    const created = await admin.policy.POST('/v1/resources', {
      body: {
        id: 'ledger',
        name: 'Ledger',
        connector: 'manual',
        target: 'ledger',
        owners: ['maria'],
        allowedRoles: ['read'],
        tier: 1 as const,
        requestableBy: ['payments'],
      },
    });
    expect(created.data?.policyVersion).toEqual(expect.any(Number));
    const { data } = await alice.policy.GET('/v1/catalogue', { params: { query: { query: 'ledger' } } });
    expect(data?.items.map((item) => [item.id, item.approval?.steps[0]?.approvers[0]?.displayName])).toEqual([['ledger', 'Maria']]);
    expect(seen.every(({ url, headers }) => headers.get('authorization')?.startsWith('Bearer ') && !/token|eyJ/.test(url))).toBe(true);
  });

  it('turns a problem+json answer into a KairosApiError with status, code, title, detail and field errors', async () => {
    const error = await alice.requests
      .POST('/v1/access-requests', {
        body: { items: [{ resourceId: 'ledger', role: 'read' }], justification: '', duration: 'P99999999999999999999D' } as never,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KairosApiError);
    expect(error).toMatchObject({ status: 400, code: expect.any(String), title: 'Bad Request' });
    expect((error as KairosApiError).errors.map((e) => e.field)).toContain('duration');
    const forbidden = await alice.policy.GET('/v1/resources').catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('sends an Idempotency-Key on every POST, and the caller may choose it', async () => {
    const body = { items: [{ resourceId: 'ledger', role: 'read' }], justification: 'INC-1: reconcile', duration: 'PT1H' };
    const first = await alice.requests.POST('/v1/access-requests', { body, ...idempotencyKey('retry-me-1') });
    expect(first.response.status).toBe(201);
    expect(seen.at(-1)!.headers.get('idempotency-key')).toBe('retry-me-1');
    const again = await alice.requests.POST('/v1/access-requests', { body, ...idempotencyKey('retry-me-1') });
    // The request service recognises the retry (header Idempotent-Replayed) and answers the same request.
    expect(again.data?.requestId).toBe(first.data?.requestId);
    await alice.requests.POST(`/v1/access-requests/{id}/cancel`, {
      params: { path: { id: first.data!.requestId } },
      body: { reason: 'not needed' },
    });
    expect(seen.at(-1)!.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a call to a service it was given no URL for, before anything is sent', async () => {
    const count = seen.length;
    await expect(alice.audit.GET('/v1/audit/grants/active')).rejects.toThrow(/no base URL for audit/);
    expect(seen.length).toBe(count);
  });
});
