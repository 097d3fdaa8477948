import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accessRequestEventCatalogue } from './access-request-events.catalogue';
import { findIncompatibilities } from './compatibility';
import { arrayOf, bool, instant, type JsonSchema, obj, oneOf, str } from './json-schema';
import { accessRequestUpcasters } from './upcasting';

const publishedDir = join(__dirname, '..', 'published');
const publishedFiles = readdirSync(publishedDir).filter((f) => f.endsWith('.json'));

const HOW_TO_CHANGE = [
  'Published event schemas are frozen: consumers of access-request.events and every stored event rely on them.',
  'To change this event incompatibly:',
  '  1. keep the old TS shape as `<Event>V<N>` in libs/contracts/src/access-request-events.v<N>.ts;',
  '  2. bump `version` in access-request-events.catalogue.ts to N+1 and change the schema;',
  '  3. add an upcaster `{ <Event>: { <N>: (data) => newData } }` to accessRequestUpcasters, with a test;',
  '  4. run `node tools/run-ts.js libs/contracts/tools/publish-schemas.ts` to freeze v<N+1> and regenerate AsyncAPI.',
  'Compatible changes (a new optional property, a wider enum) need none of this.',
].join('\n');

describe('published event schemas', () => {
  it.each(Object.entries(accessRequestEventCatalogue))('%s: its current version is published', (name, entry) => {
    const file = join(publishedDir, `${name}.v${entry.version}.json`);
    if (!existsSync(file)) {
      throw new Error(
        `${name} v${entry.version} is not published: run node tools/run-ts.js libs/contracts/tools/publish-schemas.ts`,
      );
    }
  });

  it.each(publishedFiles)('%s still reads as the current schema, or is upcast', (file) => {
    const match = /^(\w+)\.v(\d+)\.json$/.exec(file);
    expect(match).not.toBeNull();
    const [, name, versionText] = match as RegExpExecArray;
    const version = Number(versionText);
    const entry = (accessRequestEventCatalogue as Record<string, { version: number; schema: JsonSchema }>)[
      name as string
    ];
    if (!entry)
      throw new Error(`${file} is published but ${name} is no longer in the catalogue: event names never go away.`);
    if (version < entry.version) {
      for (let v = version; v < entry.version; v += 1) {
        if (!accessRequestUpcasters[name as string]?.[v])
          throw new Error(`${name} v${v} has no upcaster to v${v + 1}.\n${HOW_TO_CHANGE}`);
      }
      return;
    }
    expect(version).toBe(entry.version);
    const published = JSON.parse(readFileSync(join(publishedDir, file), 'utf8'));
    const problems = findIncompatibilities(published, entry.schema);
    if (problems.length > 0) {
      const list = problems.map((p) => `  - ${p.path}: ${p.problem} (${p.detail})`).join('\n');
      throw new Error(`${name} v${version} changed incompatibly:\n${list}\n\n${HOW_TO_CHANGE}`);
    }
  });
});

describe('findIncompatibilities', () => {
  const v1 = obj({
    requestId: str(),
    reason: oneOf(['expired', 'released']),
    verified: bool(),
    at: instant(),
    'note?': str(),
    holders: arrayOf(obj({ id: str() })),
  });

  it('accepts a new optional property and a wider enum', () => {
    const v2 = obj({
      requestId: str(),
      reason: oneOf(['expired', 'released', 'revoked']),
      verified: bool(),
      at: instant(),
      'note?': str(),
      'source?': str(),
      holders: arrayOf(obj({ id: str(), 'kind?': str() })),
    });
    expect(findIncompatibilities(v1, v2)).toEqual([]);
  });

  it('reports a removed or renamed property', () => {
    const v2 = obj({
      requestId: str(),
      reason: oneOf(['expired', 'released']),
      verified: bool(),
      occurredAt: instant(),
      'note?': str(),
      holders: arrayOf(obj({ id: str() })),
    });
    expect(findIncompatibilities(v1, v2).map((p) => p.problem)).toEqual(['removed_property', 'new_required_property']);
  });

  it('reports a changed type, also inside arrays', () => {
    const v2 = obj({
      requestId: str(),
      reason: oneOf(['expired', 'released']),
      verified: str(),
      at: instant(),
      'note?': str(),
      holders: arrayOf(obj({ id: { type: 'integer' } })),
    });
    const problems = findIncompatibilities(v1, v2);
    expect(problems.map((p) => [p.path, p.problem])).toEqual([
      ['/verified', 'changed_type'],
      ['/holders[]/id', 'changed_type'],
    ]);
  });

  it('reports a property that became required', () => {
    const v2 = obj({
      requestId: str(),
      reason: oneOf(['expired', 'released']),
      verified: bool(),
      at: instant(),
      note: str(),
      holders: arrayOf(obj({ id: str() })),
    });
    expect(findIncompatibilities(v1, v2)).toEqual([
      { path: '/note', problem: 'new_required_property', detail: "'note' is now required" },
    ]);
  });

  it('reports a narrowed enum', () => {
    const v2 = obj({
      requestId: str(),
      reason: oneOf(['expired']),
      verified: bool(),
      at: instant(),
      'note?': str(),
      holders: arrayOf(obj({ id: str() })),
    });
    expect(findIncompatibilities(v1, v2)).toEqual([
      { path: '/reason', problem: 'narrowed_enum', detail: 'values removed: ["released"]' },
    ]);
  });
});
