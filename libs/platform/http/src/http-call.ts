import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** The answer of `httpCall`: the status and the body, read whole. */
export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  text(): Promise<string>;
  /** The body as JSON; rejects when it is not JSON. */
  json<T = unknown>(): Promise<T>;
}

export interface HttpCallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Sent as it is (set `content-type` yourself). */
  readonly body?: string;
  /** The whole call, the body's last byte included. */
  readonly timeoutMs: number;
  /** Answers larger than this are refused (default 8 MiB). */
  readonly maxBodyBytes?: number;
}

// Connections are kept and reused, as fetch does.
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/**
 * One call from a service to another service over `node:http(s)`, instead of the global `fetch`.
 * Node 20's fetch (undici) parses HTTP with llhttp compiled to WebAssembly: the first call compiles
 * it (~30 MB of compiler memory, ~40 MB of RSS that stays) and each call costs about twice the CPU
 * of `node:http`, whose parser is native (issue 17, docs/benchmarks.md). Rejects with an error
 * named `TimeoutError` after `timeoutMs`, as `AbortSignal.timeout` does, and with the socket's
 * error when the other side cannot be reached.
 */
export function httpCall(url: string, options: HttpCallOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  const protocol = target.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') return Promise.reject(new Error(`httpCall: only http and https URLs, got ${protocol}`));
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers = { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
    const send = protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: options.method ?? 'GET', headers, agent: agents[protocol] });
    const timer = setTimeout(() => {
      const error = new Error(`${options.method ?? 'GET'} ${target.origin}${target.pathname} took longer than ${options.timeoutMs} ms`);
      error.name = 'TimeoutError';
      req.destroy(error);
    }, options.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    req.once('error', fail);
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          req.destroy(new Error(`${target.origin}${target.pathname} answered more than ${maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.once('error', fail);
      res.once('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          text: async () => text,
          json: async <T>() => JSON.parse(text) as T,
        });
      });
    });
    req.end(body);
  });
}
