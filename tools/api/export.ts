import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startEmbeddedPostgres } from '@kairos/testing';
import { discoverServices, documentText, GENERATED_DIR, generatedTypes, OPENAPI_DIR, ROOT, startServices } from './services';

/**
 * `npm run api:export`: boots every service in-process (its own throwaway PostgreSQL, the local
 * Kafka broker and EventStoreDB server; no platform needs to run), writes the OpenAPI document each
 * serves to api/openapi/<service>.json and the typed client's types to libs/api-client/src/generated.
 */
async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kairos-api-export-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir });
  process.env.KAIROS_TEST_PG_URL = pg.url;
  const services = discoverServices();
  const running = await startServices(services);
  try {
    mkdirSync(OPENAPI_DIR, { recursive: true });
    mkdirSync(GENERATED_DIR, { recursive: true });
    for (const service of services) {
      const document = await running.document(service.name);
      const json = join(OPENAPI_DIR, `${service.name}.json`);
      const types = join(GENERATED_DIR, `${service.name}.ts`);
      writeFileSync(json, documentText(document));
      writeFileSync(types, await generatedTypes(document));
      process.stdout.write(`wrote ${relative(ROOT, json)} and ${relative(ROOT, types)}\n`);
    }
  } finally {
    await running.close();
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`api:export failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
