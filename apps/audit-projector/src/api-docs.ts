import type { ServiceAppOptions } from '@kairos/http';

/** Title and description of the OpenAPI document, as served at /docs-json and exported to api/openapi. */
export const apiDocs: ServiceAppOptions = {
  title: 'Kairos audit projector',
  description: 'Read models for auditors, rebuilt from the EventStoreDB request streams.',
};
