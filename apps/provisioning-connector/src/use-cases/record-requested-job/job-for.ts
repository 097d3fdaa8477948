import type { AccessRequested, GrantRequested, RevocationRequested } from '@kairos/contracts';
import { fulfillersOf } from '../../domain/fulfilment';
import type { AccessRoleOf, Recordable, RequestEvent } from './ports';

/**
 * The job an access-request event asks for; for AccessRequested, who asked, why and who may
 * fulfil each item (kept so tickets and webhook calls carry them and tickets are resolved only by
 * the resource's fulfillers); nothing for the events this service ignores.
 */
export function jobFor(message: RequestEvent, accessRoleOf: AccessRoleOf, newId: () => string): Recordable | undefined {
  switch (message.type) {
    case 'AccessRequested': {
      const data = message.data as AccessRequested['data'];
      return {
        kind: 'request',
        items: data.items.map((item) => ({
          requestId: data.requestId,
          itemId: item.itemId,
          requesterId: data.requester.id,
          requestedBy: data.requestedBy,
          justification: data.justification,
          ...(data.ticket !== undefined ? { ticket: data.ticket } : {}),
          resourceId: item.resourceId,
          role: item.role,
          fulfillers: fulfillersOf(item.policy),
        })),
      };
    }
    case 'GrantRequested': {
      const data = message.data as GrantRequested['data'];
      return {
        ...common(data, accessRoleOf, newId),
        action: 'grant',
        duration: data.duration,
        breakGlass: data.breakGlass,
        correlationId: message.correlationId,
      };
    }
    case 'RevocationRequested': {
      const data = message.data as RevocationRequested['data'];
      return {
        ...common(data, accessRoleOf, newId),
        action: 'revoke',
        revocationReason: data.reason,
        ...(data.requestedBy !== undefined ? { revocationRequestedBy: data.requestedBy } : {}),
        correlationId: message.correlationId,
      };
    }
    default:
      return undefined;
  }
}

const common = (data: GrantRequested['data'] | RevocationRequested['data'], accessRoleOf: AccessRoleOf, newId: () => string) => ({
  kind: 'job' as const,
  id: newId(),
  requestId: data.requestId,
  itemId: data.itemId,
  grantId: data.grantId,
  connector: data.target.connector,
  target: data.target.target,
  subject: { id: data.subject.id, kind: data.subject.kind },
  resourceId: data.resourceId,
  role: data.role,
  accessRole: accessRoleOf(data.target.connector, { target: data.target.target, role: data.role, grantId: data.grantId }),
});
