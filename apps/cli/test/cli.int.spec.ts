import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
// The CLI is driven as its users run it: the real binary, against real services in-process.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startTwoServices } from '../../request-service/test/two-services';

const BIN = join(__dirname, '..', 'bin', 'kairos.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// Each command starts a real process; on a busy 2-core machine that takes seconds.
jest.setTimeout(180_000);

describe('the kairos CLI (the real binary)', () => {
  let platform: Awaited<ReturnType<typeof startTwoServices>>;
  let home: string;
  let urls: string;
  const tokens: Record<string, string> = {};

  const kairos = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env: { PATH: process.env.PATH ?? '', KAIROS_HOME: home, KAIROS_URLS: urls, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const as = (who: string) => ({ KAIROS_TOKEN: tokens[who]! });

  beforeAll(async () => {
    platform = await startTwoServices();
    home = mkdtempSync(join(tmpdir(), 'kairos-cli-'));
    const policyUrl = `http://127.0.0.1:${platform.policyApp.getHttpServer().address().port}`;
    await platform.app.listen(0, '127.0.0.1');
    const requestsUrl = `http://127.0.0.1:${platform.app.getHttpServer().address().port}`;
    urls = JSON.stringify({ requests: requestsUrl, policy: policyUrl });
    for (const [sub, roles] of [
      ['alice', ['requester']],
      ['maria', ['requester', 'approver']],
      ['admin', ['admin']],
    ] as const) tokens[sub] = await platform.issuer.token(sub, [...roles]);
    const admin = (method: 'post' | 'put', path: string, body: object) =>
      request(platform.policyApp.getHttpServer())[method](path).set('authorization', `Bearer ${tokens.admin}`).send(body);
    expect((await admin('post', '/v1/identities', { id: 'maria', kind: 'person', displayName: 'Maria' })).status).toBe(201);
    expect((await admin('put', '/v1/identities/alice', { kind: 'person', displayName: 'Alice', managerId: 'maria' })).status).toBe(200);
    expect(
      (await admin('post', '/v1/resources', { id: 'billing', name: 'Billing', connector: 'manual', target: 'billing', owners: ['bob'], allowedRoles: ['viewer'], tier: 1 }))
        .status,
    ).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await platform?.close();
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('signs in with a token, keeps it readable by its owner only, and never prints it', async () => {
    const run = await kairos(['login', '--token', tokens.alice!]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('signed in as alice');
    expect(run.stdout + run.stderr).not.toContain(tokens.alice);
    const file = join(home, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ subject: 'alice' });
    const who = await kairos(['whoami', '--output', 'json']);
    expect(JSON.parse(who.stdout)).toMatchObject({ subject: 'alice', roles: ['requester'] });
  });

  it('shows what alice may request, with whether approval is needed', async () => {
    const run = await kairos(['resources', 'search', '--output', 'json'], as('alice'));
    expect(run.code).toBe(0);
    const ids = JSON.parse(run.stdout).items.map((r: { id: string }) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['orders-db', 'billing']));
  });

  it('creates a request of several resources and lists it', async () => {
    const run = await kairos(
      ['request', 'create', '--resource', 'orders-db:readonly', '--resource', 'billing:viewer', '--reason', 'INC-9: month end', '--duration', 'PT1H', '--output', 'json'],
      as('alice'),
    );
    expect(run.code).toBe(0);
    const created = JSON.parse(run.stdout);
    expect(created.items.map((i: { resourceId: string }) => i.resourceId)).toEqual(['orders-db', 'billing']);
    const listed = await kairos(['request', 'ls', '--output', 'json'], as('alice'));
    expect(JSON.parse(listed.stdout).items.map((r: { requestId: string }) => r.requestId)).toContain(created.requestId);
    const shown = await kairos(['request', 'show', created.requestId], as('alice'));
    expect(shown.stdout).toContain('billing');
  });

  it('sends one Idempotency-Key per intent: re-running the same command with the same key makes no second request', async () => {
    const args = ['request', 'create', '--resource', 'orders-db:readonly', '--reason', 'CI job 77', '--duration', 'PT1H', '--idempotency-key', 'job-77', '--output', 'json'];
    const first = JSON.parse((await kairos(args, as('alice'))).stdout);
    const again = JSON.parse((await kairos(args, as('alice'))).stdout);
    expect(again.requestId).toBe(first.requestId);
  });

  it('lets maria approve from her inbox with a shortened duration and a comment', async () => {
    const created = JSON.parse(
      (await kairos(['request', 'create', '--resource', 'billing:viewer', '--reason', 'quarter close', '--duration', 'PT2H', '--output', 'json'], as('alice'))).stdout,
    );
    const inbox = await kairos(['review', 'ls', '--output', 'json'], as('maria'));
    expect(JSON.parse(inbox.stdout).items.map((i: { requestId: string }) => i.requestId)).toContain(created.requestId);
    const approved = await kairos(['review', 'approve', created.requestId, '--shorten', 'PT30M', '--comment', 'ok for the close'], as('maria'));
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved');
  });

  it('refuses approving your own request with exit code 3 and the reason', async () => {
    const created = JSON.parse(
      (await kairos(['request', 'create', '--resource', 'billing:viewer', '--reason', 'self', '--duration', 'PT1H', '--output', 'json'], as('alice'))).stdout,
    );
    const run = await kairos(['review', 'approve', created.requestId, '--output', 'json'], as('alice'));
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stderr)).toMatchObject({ status: 403, exitCode: 3 });
  });

  it('says what policy refuses, with exit code 3', async () => {
    const run = await kairos(['request', 'create', '--resource', 'orders-db:readonly', '--reason', 'too long', '--duration', 'P30D'], as('alice'));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/kairos: .+/);
  });

  it('waits for access with --wait and gives up with exit code 8 when it does not come in time', async () => {
    // No provisioning connector runs here: the access never becomes active.
    const run = await kairos(['request', 'create', '--resource', 'orders-db:readonly', '--reason', 'wait', '--duration', 'PT1H', '--wait', '--timeout', '2'], as('alice'));
    expect(run.code).toBe(8);
  });

  it('answers a usage error with exit code 2 and help', async () => {
    const run = await kairos(['request', 'create', '--resource', 'orders-db:readonly'], as('alice'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--reason is required');
    const credentials = await kairos(['credentials'], as('alice'));
    expect(credentials.code).toBe(2);
    expect(credentials.stderr).toContain('kairos credentials <grant-id>');
  });

  it('says "not signed in" with exit code 4, and "unreachable" with exit code 6', async () => {
    const signedOut = await kairos(['request', 'ls'], { KAIROS_HOME: mkdtempSync(join(tmpdir(), 'kairos-empty-')) });
    expect(signedOut.code).toBe(4);
    expect(signedOut.stderr).toContain('not signed in');
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const down = await kairos(['request', 'ls'], { ...as('alice'), KAIROS_URLS: JSON.stringify({ requests: `http://127.0.0.1:${closed}` }) });
    expect(down.code).toBe(6);
    expect(down.stderr).toContain('unreachable');
  });
});
