import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../../../..');

/**
 * OTLP export by configuration, with the real exporter in a real process (the exporter loads its
 * HTTP client the way jest's module sandbox cannot): a collector is played by a local HTTP server
 * on the loopback address that keeps what it is sent.
 */
describe('OTLP export, configured by the standard OTEL_* variables', () => {
  let collector: Server;
  let base: string;
  const received: { path: string; contentType: string; authorization: string; body: string }[] = [];

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), authorization: String(req.headers.authorization ?? ''), body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => collector?.close(resolve));
  });

  const exportOneSpan = async (env: Record<string, string>) => {
    const { stdout } = await run(process.execPath, [path.join(root, 'tools/run-ts.js'), path.join(__dirname, 'export-one-span.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 120_000,
    });
    return stdout.trim();
  };

  it('sends finished spans to <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces with the service name, resource attributes and headers', async () => {
    const traceId = await exportOneSpan({
      OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/`,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer collector-key',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    });
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    const batch = received.find((r) => r.body.includes(traceId));
    expect(batch).toBeDefined();
    expect(batch!.path).toBe('/v1/traces');
    expect(batch!.contentType).toMatch(/application\/json/);
    expect(batch!.authorization).toBe('Bearer collector-key');
    const sent = JSON.parse(batch!.body) as {
      resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string }[] }[] }[];
    };
    const [resourceSpans] = sent.resourceSpans;
    const attribute = (key: string) => resourceSpans!.resource.attributes.find((a) => a.key === key)?.value.stringValue;
    expect(attribute('service.name')).toBe('approval-policy-service');
    expect(attribute('deployment.environment')).toBe('test');
    expect(resourceSpans!.scopeSpans.flatMap((s) => s.spans.map((span) => span.name))).toContain('policy evaluation');
  });

  it('sends nothing when no exporter is configured (the default of npm start and the tests)', async () => {
    const before = received.length;
    const traceId = await exportOneSpan({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' });
    expect(traceId).toMatch(/^[\da-f]{32}$/);
    // The process flushed and exited: whatever it would have sent has arrived by now.
    expect(received.length).toBe(before);
  });

  it('sends nothing when OTEL_TRACES_EXPORTER=none, even with an endpoint set', async () => {
    const before = received.length;
    await exportOneSpan({ OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_TRACES_EXPORTER: 'none' });
    expect(received.length).toBe(before);
  });
});
