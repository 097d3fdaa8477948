import type { ServiceAppOptions } from '@kairos/http';

/** Title and description of the OpenAPI document, as served at /docs-json and exported to api/openapi. */
export const apiDocs: ServiceAppOptions = {
  title: 'Kairos expiry scheduler',
  description: 'Durable timers for access expiry, approval expiry, pending time to live and break-glass review.',
};
