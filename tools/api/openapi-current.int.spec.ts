import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  discoverServices,
  documentText,
  GENERATED_DIR,
  generatedTypesOf,
  OPENAPI_DIR,
  startServices,
  type RunningServices,
} from './services';

/**
 * The committed OpenAPI documents (api/openapi) and the typed client's generated types are what
 * the services really serve, and every response of every route is described. When this fails after
 * an API change, run `npm run api:export` and commit api/openapi and libs/api-client/src/generated.
 */
const FIX = 'run `npm run api:export` and commit api/openapi and libs/api-client/src/generated';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

interface Operation {
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

describe('the committed API description', () => {
  const services = discoverServices();
  let running: RunningServices;
  const served = new Map<string, any>();

  beforeAll(async () => {
    running = await startServices(services);
    for (const service of services) served.set(service.name, await running.document(service.name));
  }, 180_000);

  afterAll(async () => {
    await running?.close();
  }, 120_000);

  it.each(services.map((s) => s.name))('%s: the committed document is the one the service serves', (name) => {
    const file = join(OPENAPI_DIR, `${name}.json`);
    if (!existsSync(file)) throw new Error(`api/openapi/${name}.json is missing: ${FIX}`);
    const committed = readFileSync(file, 'utf8');
    if (committed !== documentText(served.get(name))) {
      throw new Error(`api/openapi/${name}.json differs from what ${name} serves at /docs-json: ${FIX}`);
    }
  });

  it.each(services.map((s) => s.name))('%s: the generated client types match the committed document', (name) => {
    const file = join(GENERATED_DIR, `${name}.ts`);
    if (!existsSync(file)) throw new Error(`libs/api-client/src/generated/${name}.ts is missing: ${FIX}`);
    const expected = generatedTypesOf(join(OPENAPI_DIR, `${name}.json`));
    if (readFileSync(file, 'utf8') !== expected) throw new Error(`libs/api-client/src/generated/${name}.ts is stale: ${FIX}`);
  });

  it.each(services.map((s) => s.name))('%s: every response of every route has a schema, and errors are problem+json', (name) => {
    const document = served.get(name);
    const undescribed: string[] = [];
    for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        for (const [status, response] of Object.entries(operation.responses)) {
          if (status === '204') continue;
          const content = Object.entries(response.content ?? {});
          if (content.length === 0 || content.some(([, media]) => !media.schema))
            undescribed.push(`${method.toUpperCase()} ${path} ${status}`);
          if (Number(status) >= 400 && !response.content?.['application/problem+json'])
            undescribed.push(`${method.toUpperCase()} ${path} ${status} (not problem+json)`);
        }
        for (const status of ['401', '403', '500']) {
          if (!operation.responses[status]) undescribed.push(`${method.toUpperCase()} ${path} lacks ${status}`);
        }
        if (!Object.keys(operation.responses).some((status) => status.startsWith('2')))
          undescribed.push(`${method.toUpperCase()} ${path} has no success response`);
      }
    }
    expect(undescribed).toEqual([]);
    // Settings are described field by field, not as a bare object.
    const schemas = JSON.stringify(document.components?.schemas ?? {});
    expect(schemas).not.toMatch(/"(settings|groupOverrides|policy)":\{"type":"object"(,"description":"[^"]*")?\}/);
  });
});
