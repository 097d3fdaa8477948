// Freezes the current schema of every event into libs/contracts/published/<Event>.v<N>.json (never
// overwriting a published file) and regenerates the AsyncAPI document.
// Run: node tools/run-ts.js libs/contracts/tools/publish-schemas.ts
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { accessRequestEventCatalogue, buildAccessRequestAsyncApi, JSON_SCHEMA_DIALECT } from '../src';

const root = join(__dirname, '..');
for (const [name, entry] of Object.entries(accessRequestEventCatalogue)) {
  const file = join(root, 'published', `${name}.v${entry.version}.json`);
  if (existsSync(file)) continue;
  const frozen = { $schema: JSON_SCHEMA_DIALECT, $id: `urn:kairos:schema:${name}:v${entry.version}`, ...entry.schema };
  writeFileSync(file, `${JSON.stringify(frozen, null, 2)}\n`);
  console.log(`published ${name} v${entry.version}`);
}
const header = '# Generated from libs/contracts/src by libs/contracts/tools/publish-schemas.ts; do not edit.\n';
writeFileSync(
  join(root, 'asyncapi', 'access-request-events.yaml'),
  header + stringify(buildAccessRequestAsyncApi(), { aliasDuplicateObjects: false, lineWidth: 0 }),
);
console.log('wrote asyncapi/access-request-events.yaml');
