import { JsonLogger } from './logger';
import { redactDeep, redactSecrets } from './redact';

describe('redacting credentials from free text', () => {
  const SECRET = 'SECRET-value-123';

  it.each([
    ['a token in a URL query string', `webhook https://hooks.example.com/kairos?token=${SECRET}&x=1 failed`],
    ['a password in URL userinfo', `POST https://user:${SECRET}@hooks.example.com/kairos failed`],
    ['a password in a connection string', `connect postgres://kairos:${SECRET}@db.internal:5432/target refused`],
    ['a bearer authorization header', `request headers: authorization: Bearer ${SECRET}`],
    ['a cookie header', `cookie: session=${SECRET}; theme=dark`],
    ['an x-api-key header in JSON', `{"x-api-key":"${SECRET}","accept":"*/*"}`],
    ['a password in a libpq keyword string', `host=db user=k password=${SECRET} dbname=t`],
    ['a bare basic credential', `Basic ${Buffer.from(`u:${SECRET}`).toString('base64')}`],
  ])('removes %s', (_name, text) => {
    const scrubbed = redactSecrets(text);
    expect(scrubbed).not.toContain(SECRET);
    expect(scrubbed).not.toContain(Buffer.from(`u:${SECRET}`).toString('base64'));
    expect(scrubbed).toContain('***');
  });

  it('keeps what is not a credential readable', () => {
    expect(redactSecrets('https://hooks.example.com/kairos answered 503')).toBe('https://hooks.example.com/kairos answered 503');
    expect(redactSecrets('role "app_reader" does not exist')).toBe('role "app_reader" does not exist');
  });

  it('scrubs every string inside nested fields', () => {
    expect(JSON.stringify(redactDeep({ a: [`https://x:${SECRET}@h/`], b: { c: `token=${SECRET}` }, password: SECRET, n: 1 }))).not.toContain(SECRET);
  });

  it('never lets the logger write a credential', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('x', 'debug', (l) => lines.push(l));
    logger.warn(`calling https://hooks.example.com/?token=${SECRET}`, { reason: `postgres://u:${SECRET}@db/t`, nested: { authorization: `Bearer ${SECRET}` } });
    logger.error(new Error(`cookie: ${SECRET}`));
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain(SECRET);
    expect(() => lines.map((l) => JSON.parse(l))).not.toThrow();
  });
});
