import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsKeyEnv } from './credentials-key';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CredentialsSealer } from '../../apps/provisioning-connector/src/adapters/postgres/credentials-sealer';

describe('the credentials key of npm start', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kairos-credkey-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a 32-byte key on the first start, readable by its owner only, and keeps it across restarts', () => {
    const first = credentialsKeyEnv(join(dir, 'credentials-key'), {});
    const file = first.CREDENTIALS_KEY_FILE!;
    expect(file).toBe(join(dir, 'credentials-key', 'key'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'credentials-key')).mode & 0o777).toBe(0o700);
    const key = readFileSync(file, 'utf8').trim();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(credentialsKeyEnv(join(dir, 'credentials-key'), {})).toEqual(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(key);
  });

  it('lets a restarted connector open what the one before sealed (the same key from the file)', () => {
    const env = credentialsKeyEnv(join(dir, 'credentials-key'), {}) as { CREDENTIALS_KEY_FILE: string };
    const before = CredentialsSealer.fromConfig({ CREDENTIALS_KEY: '', ...env });
    const sealed = before.seal('grant-1', 's3cret-password');
    const after = CredentialsSealer.fromConfig({ CREDENTIALS_KEY: '', ...credentialsKeyEnv(join(dir, 'credentials-key'), {}) as { CREDENTIALS_KEY_FILE: string } });
    expect(after.open('grant-1', sealed)).toBe('s3cret-password');
    // Without the kept key (a key per process, as before), it would not open.
    expect(CredentialsSealer.fromConfig({ CREDENTIALS_KEY: '', CREDENTIALS_KEY_FILE: '' }).open('grant-1', sealed)).toBeUndefined();
  });

  it('replaces a damaged key file, and leaves the operator\'s own key alone', () => {
    writeFileSync(join(dir, 'key'), 'not a key');
    const env = credentialsKeyEnv(dir, {});
    expect(Buffer.from(readFileSync(env.CREDENTIALS_KEY_FILE!, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(credentialsKeyEnv(join(dir, 'other'), { CREDENTIALS_KEY: 'x' })).toEqual({});
    expect(credentialsKeyEnv(join(dir, 'other'), { CREDENTIALS_KEY_FILE: '/etc/kairos/key' })).toEqual({});
  });
});
