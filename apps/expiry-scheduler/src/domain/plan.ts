import { TIMER_KINDS, type AccessRequestEvent, type TimerKind, assertNever } from '@kairos/contracts';
import { scheduled, type ScheduledTimer } from './timer';

export type TimerChange =
  | { readonly type: 'schedule'; readonly timer: ScheduledTimer }
  | {
      readonly type: 'cancel';
      readonly requestId: string;
      readonly itemId: string;
      readonly kinds: readonly TimerKind[];
      /** The event type that made the timers pointless, kept for people reading the timers. */
      readonly because: string;
    };

const ALL_KINDS: readonly TimerKind[] = TIMER_KINDS;

/**
 * Whether an event of this type can start, move or stop a timer (`planTimers` answers nothing for
 * the others). The compiler wants every request event type here; the consumer takes only the types
 * marked true (adapters/kafka), so the rest are passed over unread (issue 17), and
 * `plan.unit.spec.ts` checks that `planTimers` really answers nothing for the types marked false.
 */
export const CHANGES_TIMERS: { readonly [T in AccessRequestEvent['type']]: boolean } = {
  AccessRequested: true,
  ItemApproved: true,
  BreakGlassInvoked: true,
  BreakGlassRatified: true,
  BreakGlassRatificationMissed: true,
  AccessGranted: true,
  AccessExtended: true,
  ProvisioningFailed: true,
  ItemDenied: true,
  ItemExpired: true,
  ItemCancelled: true,
  ApprovalExpired: true,
  AccessExpired: true,
  RevocationRequested: true,
  AccessRevoked: true,
  ReviewRecorded: false,
  ApprovalStepPassed: false,
  ReviewEscalated: false,
  GrantRequested: false,
  ProvisioningStarted: false,
  ExtensionRequested: false,
  ExtensionDenied: false,
  RevocationFailed: false,
};

/** The request event types the scheduler consumes. */
export const TIMER_EVENT_TYPES: readonly AccessRequestEvent['type'][] = (Object.keys(CHANGES_TIMERS) as AccessRequestEvent['type'][]).filter((type) => CHANGES_TIMERS[type]);

const cancel = (
  event: AccessRequestEvent & { data: { requestId: string; itemId: string } },
  kinds: readonly TimerKind[] = ALL_KINDS,
): TimerChange => ({
  type: 'cancel',
  requestId: event.data.requestId,
  itemId: event.data.itemId,
  kinds,
  because: event.type,
});

/**
 * Which timers an event of the request stream starts, moves or stops. It mirrors the request
 * decider's `RecordTimerFired`: a timer is kept only while its firing could still change the item.
 * Keeping one too many is harmless (the decider ignores a stale firing); dropping one that matters
 * would leave access in place, so every cancellation here follows a state the decider cannot leave.
 */
export const planTimers = (event: AccessRequestEvent): readonly TimerChange[] => {
  switch (event.type) {
    case 'AccessRequested':
      return event.data.items.map((item) => ({
        type: 'schedule',
        timer: scheduled({ requestId: event.data.requestId, itemId: item.itemId, kind: 'pending_ttl' }, item.pendingExpiresAt),
      }));
    case 'ItemApproved':
      return [
        cancel(event, ['pending_ttl']),
        {
          type: 'schedule',
          timer: scheduled(
            { requestId: event.data.requestId, itemId: event.data.itemId, kind: 'approval_expiry' },
            event.data.approvalExpiresAt,
          ),
        },
      ];
    case 'BreakGlassInvoked':
      return [
        {
          type: 'schedule',
          timer: scheduled({ requestId: event.data.requestId, itemId: event.data.itemId, kind: 'break_glass_review' }, event.data.ratifyBy),
        },
      ];
    case 'BreakGlassRatified':
    case 'BreakGlassRatificationMissed':
      return [cancel(event, ['break_glass_review'])];
    case 'AccessGranted':
      // Once active, the decider ignores approval expiry: the access runs to its own expiry.
      return [
        cancel(event, ['approval_expiry']),
        {
          type: 'schedule',
          timer: scheduled(
            { requestId: event.data.requestId, itemId: event.data.itemId, kind: 'access_expiry', grantId: event.data.grantId },
            event.data.expiresAt,
          ),
        },
      ];
    case 'AccessExtended':
      return [
        {
          type: 'schedule',
          timer: scheduled(
            { requestId: event.data.requestId, itemId: event.data.itemId, kind: 'access_expiry', grantId: event.data.grantId },
            event.data.expiresAt,
          ),
        },
      ];
    case 'ProvisioningFailed':
      return event.data.final ? [cancel(event)] : [];
    case 'ItemDenied':
    case 'ItemExpired':
    case 'ItemCancelled':
    case 'ApprovalExpired':
    case 'AccessExpired':
    case 'RevocationRequested':
    case 'AccessRevoked':
      return [cancel(event)];
    case 'ReviewRecorded':
    case 'ApprovalStepPassed':
    case 'ReviewEscalated':
    case 'GrantRequested':
    case 'ProvisioningStarted':
    case 'ExtensionRequested':
    case 'ExtensionDenied':
    case 'RevocationFailed':
      return [];
    default:
      return assertNever(event);
  }
};
