/**
 * CloudEvents Kafka protocol binding, binary mode: the event data is the record value (JSON),
 * the attributes are headers. `ce_id` is the EventStoreDB event id, so consumers drop duplicates
 * by it after a relay restart.
 */
export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const CLOUDEVENTS_SOURCE = 'urn:kairos:request-service';

export const CE_HEADERS = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  subject: 'ce_subject',
  time: 'ce_time',
  specversion: 'ce_specversion',
  dataschema: 'ce_dataschema',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const;

/** Identifies the exact published schema of a payload, e.g. urn:kairos:schema:AccessGranted:v1. */
export const dataSchemaUri = (eventType: string, version: number): string =>
  `urn:kairos:schema:${eventType}:v${version}`;

export interface CloudEventAttributes {
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly dataschema?: string;
  readonly traceparent?: string;
  readonly source?: string;
}

export const toCloudEventHeaders = (attributes: CloudEventAttributes): Record<string, string> => ({
  [CE_HEADERS.id]: attributes.id,
  [CE_HEADERS.type]: attributes.type,
  [CE_HEADERS.source]: attributes.source ?? CLOUDEVENTS_SOURCE,
  [CE_HEADERS.subject]: attributes.subject,
  [CE_HEADERS.time]: attributes.time,
  [CE_HEADERS.specversion]: CLOUDEVENTS_SPEC_VERSION,
  [CE_HEADERS.contentType]: 'application/json',
  ...(attributes.dataschema ? { [CE_HEADERS.dataschema]: attributes.dataschema } : {}),
  ...(attributes.traceparent ? { [CE_HEADERS.traceparent]: attributes.traceparent } : {}),
});
