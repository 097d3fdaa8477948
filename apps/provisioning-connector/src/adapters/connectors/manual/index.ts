import { CONNECTOR_TARGETS } from '@kairos/contracts';
import { definePlugin } from '../../../domain/connector';

/**
 * Fulfilled by people: the worker opens a ticket instead of calling anything; the resource's
 * fulfillers (or admins, never the requester) complete or fail it. No `create`: nothing to call.
 */
export const plugin = definePlugin({
  name: 'manual',
  description:
    'Opens a fulfilment ticket for a person (the resource owners recorded in the policy snapshot, or admins; never the requester) who completes or fails it at /v1/tickets; recorded unverified with who did it.',
  targetSyntax: CONNECTOR_TARGETS.manual.syntax,
  settings: {},
  targetProblem: CONNECTOR_TARGETS.manual.problem,
  accessRole: ({ role }) => role,
});
