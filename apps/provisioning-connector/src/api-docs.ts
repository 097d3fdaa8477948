import type { ServiceAppOptions } from '@kairos/http';

/** Title and description of the OpenAPI document, as served at /docs-json and exported to api/openapi. */
export const apiDocs: ServiceAppOptions = {
  title: 'Kairos provisioning connector',
  description: 'Grants and revokes access in target systems and verifies it; manual fulfilment tickets.',
};
