import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type Mechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const MECHANISMS: readonly Mechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

export interface SaslUser {
  name: string;
  password: string;
}

interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const SCRAM_ITERATIONS = 4096;
const HASH: Record<Exclude<Mechanism, 'PLAIN'>, 'sha256' | 'sha512'> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

/** One step of an exchange: bytes to send back, and whether the exchange is over (with the user). */
export type SaslStep = { kind: 'challenge'; bytes: Buffer } | { kind: 'done'; bytes: Buffer; user: string } | { kind: 'failed'; message: string };

export interface SaslExchange {
  step(token: Buffer): SaslStep;
}

const FAILED: SaslStep = { kind: 'failed', message: 'Authentication failed: Invalid username or password' };

function equalSecret(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Users from configuration. Passwords stay in this object only: PLAIN compares digests, SCRAM
 * keeps salted keys (RFC 5802) derived once at start, as Kafka stores SCRAM credentials.
 */
export class SaslUsers {
  private readonly plain = new Map<string, Buffer>();
  private readonly scram = new Map<string, ScramCredential>();

  constructor(
    users: SaslUser[],
    readonly mechanisms: readonly Mechanism[],
  ) {
    for (const u of users) {
      if (!u.name || typeof u.password !== 'string' || u.password === '') throw new Error(`SASL user entries need a name and a non-empty password`);
      this.plain.set(u.name, createHash('sha256').update(u.password).digest());
      for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
        if (!mechanisms.includes(m)) continue;
        const salt = randomBytes(16);
        const hash = HASH[m];
        const salted = pbkdf2Sync(u.password, salt, SCRAM_ITERATIONS, hash === 'sha256' ? 32 : 64, hash);
        const clientKey = createHmac(hash, salted).update('Client Key').digest();
        this.scram.set(`${m}\0${u.name}`, {
          salt,
          iterations: SCRAM_ITERATIONS,
          storedKey: createHash(hash).update(clientKey).digest(),
          serverKey: createHmac(hash, salted).update('Server Key').digest(),
        });
      }
    }
  }

  start(mechanism: Mechanism): SaslExchange {
    return mechanism === 'PLAIN' ? this.plainExchange() : this.scramExchange(mechanism);
  }

  private plainExchange(): SaslExchange {
    return {
      step: (token) => {
        // RFC 4616: [authzid] NUL authcid NUL passwd
        const parts = token.toString('utf8').split('\0');
        if (parts.length !== 3) return { kind: 'failed', message: 'Invalid SASL/PLAIN response: expected 3 tokens' };
        const [authzid, user, password] = parts;
        if (authzid !== '' && authzid !== user) return { kind: 'failed', message: 'Authentication failed: Client requested an authorization id that is different from username' };
        const expected = this.plain.get(user);
        const given = createHash('sha256').update(password).digest();
        if (!expected || !equalSecret(expected, given)) return FAILED;
        return { kind: 'done', bytes: Buffer.alloc(0), user };
      },
    };
  }

  private scramExchange(mechanism: Exclude<Mechanism, 'PLAIN'>): SaslExchange {
    const hash = HASH[mechanism];
    let state: 'first' | 'final' | 'over' = 'first';
    let user = '';
    let clientFirstBare = '';
    let serverFirst = '';
    let nonce = '';
    let cred: ScramCredential | undefined;
    return {
      step: (token) => {
        const text = token.toString('utf8');
        if (state === 'first') {
          state = 'final';
          // gs2-header "n,," (no channel binding, no authzid other than the user), then n=user,r=nonce
          const m = /^([nyp][^,]*),([^,]*),(n=([^,]*),r=([^,]+)(,.*)?)$/.exec(text);
          if (!m || (m[1] !== 'n' && m[1] !== 'y')) return { kind: 'failed', message: 'Invalid SCRAM client first message' };
          user = m[4].replace(/=2C/g, ',').replace(/=3D/g, '=');
          if (m[2] !== '' && m[2] !== `a=${m[4]}`) return { kind: 'failed', message: 'Authentication failed: authorization id must match the user' };
          clientFirstBare = m[3];
          cred = this.scram.get(`${mechanism}\0${user}`);
          if (!cred) {
            state = 'over';
            return FAILED;
          }
          nonce = m[5] + randomBytes(18).toString('base64');
          serverFirst = `r=${nonce},s=${cred.salt.toString('base64')},i=${cred.iterations}`;
          return { kind: 'challenge', bytes: Buffer.from(serverFirst) };
        }
        if (state !== 'final' || !cred) return { kind: 'failed', message: 'Invalid SCRAM exchange state' };
        state = 'over';
        const m = /^(c=([^,]*),r=([^,]*)(,.*)?),p=([^,]+)$/.exec(text);
        // Kafka's ScramSaslServer only checks that the final nonce ends with the server's nonce; librdkafka 2.0.x
        // sends the client nonce twice and relies on that, so the same check is made here.
        if (!m || !m[3].endsWith(nonce)) return { kind: 'failed', message: 'Invalid SCRAM client final message' };
        const authMessage = `${clientFirstBare},${serverFirst},${m[1]}`;
        const proof = Buffer.from(m[5], 'base64');
        const signature = createHmac(hash, cred.storedKey).update(authMessage).digest();
        if (proof.length !== signature.length) return FAILED;
        const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]));
        if (!equalSecret(createHash(hash).update(clientKey).digest(), cred.storedKey)) return FAILED;
        const serverSignature = createHmac(hash, cred.serverKey).update(authMessage).digest('base64');
        return { kind: 'done', bytes: Buffer.from(`v=${serverSignature}`), user };
      },
    };
  }
}
