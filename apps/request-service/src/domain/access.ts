import { hasRole, type Principal } from '@kairos/auth';
import type { AccessRequestView, CommandMetadata } from '@kairos/access-request-domain';
import { refuse } from '@kairos/refusal';

// Who may see and change requests through this service. The decider is the authority on who may
// change a request; these only keep auditors read-only and requesters to their own requests.

export const forbidden = (detail: string) => refuse.forbidden('FORBIDDEN', detail);
export const notFound = () => refuse.notFound('ACCESS_REQUEST.NOT_FOUND', 'there is no such access request');

/** Sees every request: admins, and auditors (read-only). */
export const seesAll = (principal: Principal): boolean => hasRole(principal, 'admin', 'auditor');

export const ownsRequest = (principal: Principal, view: AccessRequestView): boolean => view.requester.id === principal.id || view.requestedBy === principal.id;

/** The metadata of a command a person gives: when, who (with their roles), and the correlation id. */
export function commandMetadata(principal: Principal, now: Date, correlationId: string | undefined): CommandMetadata {
  return { now: now.toISOString(), actor: { id: principal.id, roles: [...principal.roles] }, correlationId };
}
