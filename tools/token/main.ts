import { join } from 'node:path';
import { isRole, loadOrCreateIssuerKey, signToken, type Role } from '@kairos/auth';
import { issuerUrl, platformLayout } from '../layout';

/** npm run token -- --sub alice --roles requester[,approver] [--kind service] [--ttl 3600] */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sub = args.get('sub')?.[0];
  const roles = (args.get('roles') ?? []).flatMap((r) => r.split(',')).filter(Boolean);
  const bad = roles.filter((r) => !isRole(r));
  if (!sub || roles.length === 0 || bad.length > 0) {
    process.stderr.write(
      `${bad.length ? `unknown role(s): ${bad.join(', ')}\n` : ''}usage: npm run token -- --sub <id> --roles <requester|approver|admin|auditor>[,...] [--kind person|service] [--ttl seconds]\n`,
    );
    process.exit(2);
  }
  const layout = platformLayout();
  const key = await loadOrCreateIssuerKey(join(layout.dataDir, 'issuer'));
  const kind = args.get('kind')?.[0] === 'service' ? 'service' : 'person';
  const ttl = Number(args.get('ttl')?.[0] ?? 8 * 3600);
  process.stdout.write(
    `${await signToken(key, { sub, roles: roles as Role[], kind, issuer: issuerUrl(layout), audience: layout.audience, ttlSeconds: ttl })}\n`,
  );
}

function parseArgs(argv: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i] ?? '';
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

void main();
