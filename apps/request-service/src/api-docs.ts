import type { ServiceAppOptions } from '@kairos/http';

/** Title and description of the OpenAPI document, as served at /docs-json and exported to api/openapi. */
export const apiDocs: ServiceAppOptions = {
  title: 'Kairos request service',
  description: 'Ask for, follow, extend, release and cancel just-in-time access. Owns the access-request streams.',
};
