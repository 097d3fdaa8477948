import { lendableApproval } from '@kairos/access-request-domain';
import type { AccessRequestEvent } from '@kairos/contracts';
import { applyEvent } from '../../domain/request-state';
import type { RequestCopyTransaction } from './ports';

export type RecordedEvent =
  | { readonly kind: 'changed' | 'unchanged' }
  /** The event needs a request the copy never saw: with per-request ordering, a broken stream (dead-letter it). */
  | { readonly kind: 'unknown_request'; readonly reason: string };

/**
 * Keeps this service's copy of a request (for inboxes and history) and the approvals it lends (for
 * reuse) in step with one event of the public request stream, folding the request domain's own
 * `evolve`. Runs inside the transaction that receives the event.
 */
export async function recordRequestEvent(event: AccessRequestEvent, copy: RequestCopyTransaction): Promise<RecordedEvent> {
  const requestId = event.data.requestId;
  const current = await copy.loadForUpdate(requestId);
  const result = applyEvent(current, event);
  if (result.kind === 'unknown_request') {
    return { kind: 'unknown_request', reason: `${event.type} for request ${requestId}, whose AccessRequested was never seen` };
  }
  if (result.kind === 'unchanged') return result;
  await copy.save(result.state);
  // Which approvals a later request may reuse is the domain's rule, re-read after every change:
  // an item released, revoked or cancelled stops lending its approval at once.
  const itemIds = event.type === 'AccessRequested' ? event.data.items.map((item) => item.itemId) : [event.data.itemId];
  for (const itemId of itemIds) await copy.setLentApproval(requestId, itemId, lendableApproval(result.state, itemId));
  return { kind: 'changed' };
}
