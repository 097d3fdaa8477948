import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';

/**
 * A real OpenLDAP slapd (Debian's `slapd` package, installed by .ci/run) started in a temp dir with
 * a generated slapd.conf: one mdb database for dc=example,dc=org, a root DN with a generated
 * password, listening on a free loopback port. No debconf, no system service.
 */
export interface Slapd {
  readonly url: string;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  readonly dir: string;
  /** Adds a person (uid=<login>,ou=people,…) and returns the DN. */
  addPerson(login: string): Promise<string>;
  /** Adds a groupOfNames with a placeholder member (the schema wants at least one) and returns its DN. */
  addGroup(cn: string): Promise<string>;
  stop(): Promise<void>;
}

const SLAPD = ['/usr/sbin/slapd', '/usr/local/libexec/slapd'].find((p) => existsSync(p));
export const slapdAvailable = SLAPD !== undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startSlapd(): Promise<Slapd> {
  if (!SLAPD) throw new Error('slapd is not installed: apt-get install -y slapd ldap-utils (.ci/run does)');
  const dir = mkdtempSync(join(tmpdir(), 'kairos-slapd-'));
  const suffix = 'dc=example,dc=org';
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = randomBytes(12).toString('hex');
  mkdirSync(join(dir, 'db'));
  const modulePath = ['/usr/lib/ldap', '/usr/lib/x86_64-linux-gnu/ldap', '/usr/lib/aarch64-linux-gnu/ldap'].find((p) =>
    existsSync(join(p, 'back_mdb.la')) || existsSync(join(p, 'back_mdb-2.5.so.0')),
  );
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      ...(modulePath ? [`modulepath ${modulePath}`, 'moduleload back_mdb'] : []),
      'database mdb',
      'maxsize 10485760',
      `suffix "${suffix}"`,
      `rootdn "${rootDn}"`,
      `rootpw ${rootPassword}`,
      `directory ${join(dir, 'db')}`,
      'index objectClass eq',
      'index member eq',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  // -d 0: stay in the foreground (so the test owns the process) without debug output.
  const child: ChildProcess = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const admin = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url, timeout: 5_000, connectTimeout: 2_000 });
    try {
      await client.bind(rootDn, rootPassword);
      return await work(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited ${child.exitCode}: ${stderr.slice(0, 2_000)}`);
    try {
      await admin(async () => undefined);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`slapd did not answer: ${(error as Error).message} ${stderr.slice(0, 2_000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin(async (client) => {
    await client.add(suffix, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' });
    await client.add(`ou=people,${suffix}`, { objectClass: 'organizationalUnit', ou: 'people' });
    await client.add(`ou=groups,${suffix}`, { objectClass: 'organizationalUnit', ou: 'groups' });
    await client.add(`cn=nobody,ou=people,${suffix}`, { objectClass: ['inetOrgPerson'], cn: 'nobody', sn: 'nobody' });
  });
  return {
    url,
    suffix,
    rootDn,
    rootPassword,
    dir,
    addPerson: (login) =>
      admin(async (client) => {
        const dn = `uid=${login},ou=people,${suffix}`;
        await client.add(dn, { objectClass: ['inetOrgPerson'], uid: login, cn: login, sn: login });
        return dn;
      }),
    addGroup: (cn) =>
      admin(async (client) => {
        const dn = `cn=${cn},ou=groups,${suffix}`;
        await client.add(dn, { objectClass: 'groupOfNames', cn, member: `cn=nobody,ou=people,${suffix}` });
        return dn;
      }),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
