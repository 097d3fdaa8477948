import type { ServiceAppOptions } from '@kairos/http';

/** Title and description of the OpenAPI document, as served at /docs-json and exported to api/openapi. */
export const apiDocs: ServiceAppOptions = {
  title: 'Kairos approval policy service',
  description: 'Resources, tiers, policies and the directory; the approver inbox and reviews.',
};
