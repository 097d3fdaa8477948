import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { httpCall } from './http-call';

describe('httpCall (node:http between services, instead of fetch)', () => {
  let server: Server;
  let base: string;
  const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string; socket: Socket }[] = [];
  let answer: (req: IncomingMessage, res: import('node:http').ServerResponse) => void = (_req, res) => res.end();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body, socket: req.socket });
        answer(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => (seen.length = 0));

  it('sends the method, headers and body, and reads the status and the JSON answer', async () => {
    answer = (_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [1, 2], name: 'żółw' }));
    const res = await httpCall(`${base}/v1/things?x=1`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify({ a: 'ą' }), timeoutMs: 10_000 });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(await res.json()).toEqual({ items: [1, 2], name: 'żółw' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/things?x=1', body: '{"a":"ą"}' });
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer t', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength('{"a":"ą"}')) });
  });

  it('reports a refusal as a status, not an error, and a body that is not JSON as a rejected json()', async () => {
    answer = (_req, res) => res.writeHead(422).end('not json');
    const res = await httpCall(`${base}/x`, { timeoutMs: 10_000 });
    expect({ status: res.status, ok: res.ok }).toEqual({ status: 422, ok: false });
    await expect(res.json()).rejects.toThrow(SyntaxError);
    expect(await res.text()).toBe('not json');
  });

  it('reuses the connection for the next call (keep-alive, as fetch does)', async () => {
    answer = (_req, res) => res.end('{}');
    await httpCall(`${base}/one`, { timeoutMs: 10_000 });
    await httpCall(`${base}/two`, { timeoutMs: 10_000 });
    expect(seen.map((s) => s.url)).toEqual(['/one', '/two']);
    expect(seen[1]!.socket).toBe(seen[0]!.socket);
  });

  it('gives up after its timeout with a TimeoutError when the other side never answers', async () => {
    answer = () => undefined; // never answers
    await expect(httpCall(`${base}/slow`, { timeoutMs: 200 })).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('rejects when nothing listens, and refuses an answer larger than its limit', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(httpCall(`http://127.0.0.1:${port}/`, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    answer = (_req, res) => res.end('x'.repeat(64 * 1024));
    await expect(httpCall(`${base}/big`, { timeoutMs: 10_000, maxBodyBytes: 1024 })).rejects.toThrow(/more than 1024 bytes/);
  });

  it('refuses a URL that is not http or https', async () => {
    await expect(httpCall('file:///etc/passwd', { timeoutMs: 1_000 })).rejects.toThrow(/only http and https/);
  });
});
