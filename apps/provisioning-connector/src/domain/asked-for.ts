import type { GrantRequested, RevocationRequested } from '@kairos/contracts';

/** A grant or revocation the request service asked for: what the message says, or what the stream recorded. */
export type Asked = { readonly type: 'GrantRequested'; readonly data: GrantRequested['data'] } | { readonly type: 'RevocationRequested'; readonly data: RevocationRequested['data'] };

export const isAsked = (event: { type: string }): event is Asked => event.type === 'GrantRequested' || event.type === 'RevocationRequested';

/** What must be identical between the message and the event the request's own stream recorded. */
const essentials = (data: Asked['data']) =>
  JSON.stringify([data.requestId, data.itemId, data.grantId, data.subject.id, data.subject.kind, data.resourceId, data.role, data.target.connector, data.target.target]);

export type StreamVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Does the request's stream ask for exactly this? The stream is written only by the request
 * service, after its decider checked the request, its approvals and its expiry; a grant it does
 * not hold was never decided, whoever signed the message.
 */
export function askedForByStream(message: Asked, recorded: readonly Asked[]): StreamVerdict {
  const sameGrant = recorded.filter((event) => event.type === message.type && event.data.grantId === message.data.grantId);
  if (sameGrant.length === 0) {
    return recorded.length === 0 && message.type === 'GrantRequested'
      ? { ok: false, reason: `request ${message.data.requestId} has no GrantRequested on its stream` }
      : { ok: false, reason: `the stream of request ${message.data.requestId} holds no ${message.type} for grant ${message.data.grantId}` };
  }
  const wanted = essentials(message.data);
  if (!sameGrant.some((event) => essentials(event.data) === wanted)) {
    return { ok: false, reason: `${message.type} for grant ${message.data.grantId} differs from the stream's (subject, resource, role or target)` };
  }
  return { ok: true };
}
