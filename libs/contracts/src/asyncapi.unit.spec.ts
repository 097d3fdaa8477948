import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { accessRequestEventCatalogue } from './access-request-events.catalogue';
import { ASYNCAPI_PAYLOAD_FORMAT } from './asyncapi';

const REGENERATE = 'run `node tools/run-ts.js libs/contracts/tools/publish-schemas.ts` and commit the result';

describe('the AsyncAPI document of access-request.events', () => {
  const doc = parse(readFileSync(join(__dirname, '..', 'asyncapi', 'access-request-events.yaml'), 'utf8'));
  const catalogueNames = Object.keys(accessRequestEventCatalogue).sort();

  it('describes the public topic with CloudEvents binary-mode headers', () => {
    expect(doc.asyncapi).toMatch(/^3\./);
    expect(doc.channels.accessRequestEvents.address).toBe('access-request.events');
    const headers = doc.components.schemas.CloudEventHeaders;
    expect(Object.keys(headers.properties)).toEqual(
      expect.arrayContaining([
        'ce_id',
        'ce_type',
        'ce_source',
        'ce_subject',
        'ce_time',
        'ce_specversion',
        'content-type',
        'traceparent',
      ]),
    );
  });

  it(`lists exactly the catalogue's events (otherwise ${REGENERATE})`, () => {
    expect(Object.keys(doc.components.messages).sort()).toEqual(catalogueNames);
    expect(Object.keys(doc.channels.accessRequestEvents.messages).sort()).toEqual(catalogueNames);
    expect([...doc.components.schemas.CloudEventHeaders.properties.ce_type.enum].sort()).toEqual(catalogueNames);
  });

  it.each(Object.entries(accessRequestEventCatalogue))(
    `gives %s the catalogue's schema and version (otherwise ${REGENERATE})`,
    (name, entry) => {
      const message = doc.components.messages[name];
      expect(message.payload.schemaFormat).toBe(ASYNCAPI_PAYLOAD_FORMAT);
      expect(message.payload.schema).toEqual(entry.schema);
      expect(message['x-schema-version']).toBe(entry.version);
      expect(message.summary).toBe(entry.description);
    },
  );
});
