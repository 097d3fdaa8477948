import { openRound, reviewsOfRound, roundKey, type AccessRequestState, type ItemState, type RequestDetails, type ReviewRound } from '@kairos/access-request-domain';
import type { AccessRequestEvent, ApprovalStepSnapshot, ItemPolicySnapshot } from '@kairos/contracts';

/** What a message is about; each kind has its templates. */
export const NOTIFICATION_KINDS = [
  'review_needed',
  'review_reminder',
  'break_glass_ratify',
  'approved',
  'denied',
  'granted',
  'failed',
  'expiring_soon',
  'access_ended',
  'request_expired',
  'manual_ticket',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** Kinds that ask someone to review: their Slack message carries Approve / Deny buttons. */
export const REVIEW_KINDS: readonly NotificationKind[] = ['review_needed', 'review_reminder', 'break_glass_ratify'];

export type Recipients = { readonly ids: readonly string[] } | { readonly group: string };

export interface PlannedNotification {
  readonly kind: NotificationKind;
  readonly itemId: string;
  readonly recipients: Recipients;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface OpenedRound {
  readonly itemId: string;
  readonly round: ReviewRound;
  readonly key: string;
  /** Who may review it and has not yet. */
  readonly waitingOn: readonly string[];
}

export interface Plan {
  readonly notifications: PlannedNotification[];
  /** Rounds this event opened (a new step, an extension, more approvers): reminders start now. */
  readonly opened: OpenedRound[];
  /** Live grants whose expiry this event set: the requester is warned before it. */
  readonly expiries: { readonly itemId: string; readonly grantId: string; readonly expiresAt: string }[];
}

type Request = RequestDetails & { readonly status: 'open' | 'closed' };

const itemOf = (request: Request | undefined, itemId: string): ItemState | undefined => request?.items.find((i) => i.itemId === itemId);

/** The people who may still review the item's open round (eligible, not the requester, not yet voted). */
export function waitingOn(request: RequestDetails, item: ItemState, round: ReviewRound): string[] {
  const eligible = round.kind === 'ratification' ? round.ratifiers : round.snapshot.approvers;
  const voted = new Set(reviewsOfRound(item, round).map((review) => review.reviewerId));
  const excluded = new Set([request.requester.id, ...(request.onBehalf ? [request.requestedBy] : [])]);
  return eligible.filter((id) => !voted.has(id) && !excluded.has(id));
}

/** Facts about the request and item every template may use (no secret is ever among them). */
export function contextOf(request: RequestDetails, item: ItemState): Record<string, unknown> {
  return {
    requestId: request.requestId,
    itemId: item.itemId,
    requesterId: request.requester.id,
    requestedBy: request.requestedBy,
    justification: request.justification,
    ticket: request.ticket ?? '',
    resourceId: item.resourceId,
    role: item.role,
    tier: item.policy.tier,
    duration: item.effectiveDuration,
    breakGlass: request.breakGlass,
    connector: item.policy.target.connector,
  };
}

/**
 * Who is told what when one event of a request is recorded, decided from the request as the
 * request domain's own `evolve` folds it (before and after the event) and its own `openRound`:
 * nobody here re-implements who may review.
 */
export function planNotifications(event: AccessRequestEvent, before: AccessRequestState, after: AccessRequestState): Plan {
  const plan: Plan = { notifications: [], opened: [], expiries: [] };
  if (after.status === 'empty') return plan;
  const request: Request = after;
  const previous: Request | undefined = before.status === 'empty' ? undefined : before;
  const requester = { ids: [request.requester.id] };

  // Any item whose open round changed (a new step, an extension, a ratification, more approvers).
  for (const item of request.items) {
    const round = openRound(item);
    if (!round) continue;
    const earlierItem = itemOf(previous, item.itemId);
    const earlier = earlierItem ? openRound(earlierItem) : undefined;
    const waiting = waitingOn(request, item, round);
    const earlierWaiting = earlier && earlierItem && previous ? waitingOn(previous, earlierItem, earlier) : [];
    const sameRound = earlier !== undefined && roundKey(earlier) === roundKey(round);
    const fresh = sameRound ? waiting.filter((id) => !earlierWaiting.includes(id) && !wasEligible(earlier, id)) : waiting;
    if (!sameRound) plan.opened.push({ itemId: item.itemId, round, key: roundKey(round), waitingOn: waiting });
    if (fresh.length === 0) continue;
    const context = { ...contextOf(request, item), deadline: round.deadline, stepName: round.kind === 'ratification' ? 'break-glass ratification' : round.snapshot.name };
    if (round.kind === 'ratification') {
      plan.notifications.push({ kind: 'break_glass_ratify', itemId: item.itemId, recipients: { ids: fresh }, data: context });
    } else {
      const escalation = event.type === 'ReviewEscalated' && event.data.itemId === item.itemId ? event.data : undefined;
      plan.notifications.push({
        kind: 'review_needed',
        itemId: item.itemId,
        recipients: { ids: fresh },
        data: {
          ...context,
          subject: round.kind,
          ...(escalation ? { escalated: escalation.reason, delegatedBy: escalation.delegatedBy ?? '' } : {}),
        },
      });
    }
  }

  const item = 'itemId' in event.data ? itemOf(request, event.data.itemId as string) : undefined;
  if (!item) return plan;
  const context = contextOf(request, item);
  const tell = (kind: NotificationKind, recipients: Recipients, data: Record<string, unknown> = {}) =>
    plan.notifications.push({ kind, itemId: item.itemId, recipients, data: { ...context, ...data } });
  switch (event.type) {
    case 'ItemApproved':
      if (event.data.via !== 'break_glass') tell('approved', requester, { via: event.data.via, approvedDuration: event.data.duration });
      break;
    case 'ItemDenied':
      tell('denied', requester, { deniedBy: event.data.deniedBy, comment: event.data.reason });
      break;
    case 'AccessGranted':
      tell('granted', requester, { expiresAt: event.data.expiresAt });
      plan.expiries.push({ itemId: item.itemId, grantId: event.data.grantId, expiresAt: event.data.expiresAt });
      break;
    case 'AccessExtended':
      plan.expiries.push({ itemId: item.itemId, grantId: event.data.grantId, expiresAt: event.data.expiresAt });
      break;
    case 'ProvisioningFailed':
      if (event.data.final) tell('failed', requester, { reason: event.data.reason });
      break;
    case 'ProvisioningStarted':
      if (event.data.ticketId !== undefined && event.data.attempt === 1 && item.policy.target.connector === 'manual') {
        tell('manual_ticket', fulfillersOf(item.policy), { ticketId: event.data.ticketId, target: item.policy.target.target });
      }
      break;
    case 'AccessRevoked':
      tell('access_ended', requester, { reason: event.data.reason });
      break;
    case 'ItemExpired':
      tell('request_expired', requester, { pendingExpiresAt: event.data.pendingExpiresAt });
      break;
    default:
      break;
  }
  return plan;
}

const wasEligible = (round: ReviewRound | undefined, id: string): boolean =>
  round !== undefined && (round.kind === 'ratification' ? round.ratifiers : round.snapshot.approvers).includes(id);

/**
 * Who carries out an item's manual ticket: the fulfillers its policy snapshot recorded at submission
 * (the resource's active owners other than the requester); only when it recorded none, the
 * deployment's FULFILLER_GROUP (`{ group: '' }`, filled in by the handler).
 */
export function fulfillersOf(policy: ItemPolicySnapshot): Recipients {
  const ids = [...new Set(policy.fulfillers ?? [])];
  return ids.length > 0 ? { ids } : { group: '' };
}

/**
 * Where an unanswered step's fallback approvers come from, best first (ADR 0023): the group the
 * step itself fell back to at submission (`steps[].fallback.source = group:<id>`, today's members);
 * for a manager step, the item's resource owners the snapshot recorded (`policy.fulfillers`), as the
 * approval policy's own fallback lets owners stand in for a missing manager; and last the
 * deployment's ESCALATION_GROUP. The caller takes the first source that yields anyone eligible.
 */
export function escalationSources(step: ApprovalStepSnapshot, policy: ItemPolicySnapshot, lastResortGroup: string): Recipients[] {
  const sources: Recipients[] = [];
  const fallbackGroup = step.fallback?.source.startsWith('group:') ? step.fallback.source.slice('group:'.length) : '';
  if (fallbackGroup !== '') sources.push({ group: fallbackGroup });
  if (step.mode === 'manager' && (policy.fulfillers ?? []).length > 0) sources.push({ ids: [...policy.fulfillers!] });
  if (lastResortGroup !== '' && lastResortGroup !== fallbackGroup) sources.push({ group: lastResortGroup });
  return sources;
}
