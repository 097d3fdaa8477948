import { accessRequestEventCatalogue } from './access-request-events.catalogue';
import { CLOUDEVENTS_SOURCE, CLOUDEVENTS_SPEC_VERSION } from './cloudevents';
import { TOPICS } from './internal-messages';

export const ASYNCAPI_PAYLOAD_FORMAT = 'application/schema+json;version=draft-07';

/** Builds the AsyncAPI 3.0 document of the public topic from the catalogue (see tools/publish-schemas.ts). */
export const buildAccessRequestAsyncApi = (): Record<string, unknown> => {
  const names = Object.keys(accessRequestEventCatalogue) as (keyof typeof accessRequestEventCatalogue)[];
  const messages = Object.fromEntries(
    names.map((name) => {
      const entry = accessRequestEventCatalogue[name];
      return [
        name,
        {
          name,
          title: name,
          summary: entry.description,
          contentType: 'application/json',
          'x-schema-version': entry.version,
          headers: { $ref: '#/components/schemas/CloudEventHeaders' },
          correlationId: { $ref: '#/components/correlationIds/RequestId' },
          payload: { schemaFormat: ASYNCAPI_PAYLOAD_FORMAT, schema: entry.schema },
          bindings: {
            kafka: { key: { type: 'string', format: 'uuid', description: 'The request id' }, bindingVersion: '0.5.0' },
          },
        },
      ];
    }),
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Kairos access request events',
      version: '1.0.0',
      description: [
        'Every fact of an access request, in stream order per request, relayed from the request',
        'stream `access-request-<uuid>` in EventStoreDB. Delivery is at least once: drop duplicates by',
        '`ce_id`. Events of one request share the Kafka key (the request id) and so one partition.',
        'Schemas only grow compatibly; an incompatible change is a new version (`x-schema-version`,',
        '`ce_dataschema`) and readers of the store upcast older versions.',
      ].join('\n'),
      license: { name: 'Apache-2.0' },
    },
    defaultContentType: 'application/json',
    channels: {
      accessRequestEvents: {
        address: TOPICS.accessRequestEvents,
        description: 'Public topic; the record value is the event data, the CloudEvents attributes are headers.',
        messages: Object.fromEntries(names.map((name) => [name, { $ref: `#/components/messages/${name}` }])),
      },
    },
    operations: {
      publishAccessRequestEvents: {
        action: 'send',
        title: 'request-service relays request-stream events',
        channel: { $ref: '#/channels/accessRequestEvents' },
        messages: names.map((name) => ({ $ref: `#/channels/accessRequestEvents/messages/${name}` })),
      },
    },
    components: {
      messages,
      correlationIds: {
        RequestId: { description: 'The request id', location: '$message.header#/ce_subject' },
      },
      schemas: {
        CloudEventHeaders: {
          type: 'object',
          description: 'CloudEvents Kafka protocol binding, binary mode',
          required: ['ce_id', 'ce_type', 'ce_source', 'ce_subject', 'ce_time', 'ce_specversion', 'content-type'],
          properties: {
            ce_id: { type: 'string', format: 'uuid', description: 'EventStoreDB event id; the deduplication key' },
            ce_type: { type: 'string', enum: names, description: 'The event name' },
            ce_source: { type: 'string', const: CLOUDEVENTS_SOURCE },
            ce_subject: { type: 'string', format: 'uuid', description: 'The request id' },
            ce_time: { type: 'string', format: 'date-time', description: 'When the event was recorded' },
            ce_specversion: { type: 'string', const: CLOUDEVENTS_SPEC_VERSION },
            ce_dataschema: { type: 'string', description: 'urn:kairos:schema:<Event>:v<N>' },
            'content-type': { type: 'string', const: 'application/json' },
            traceparent: { type: 'string', description: 'W3C trace context of the command that caused the event' },
          },
        },
      },
    },
  };
};
