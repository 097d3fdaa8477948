import { randomUUID } from 'node:crypto';
import {
  accessRequestStreamName,
  formatValidationErrors,
  validateEvent,
  type AccessRequestEvent,
  type AccessRequested,
  type RevocationReason,
  type Subject,
} from '@kairos/contracts';
import type { AccessRequestCommand, RecordReview, RecordTimerFired } from '../commands';
import { decide, grantIdFor } from '../decide';
import { fold } from '../state';
import { expected } from './events';
import { actor, automaticPolicy, meta, policy } from './fixtures';

/**
 * The one builder of request-stream events for the services' tests (the expiry scheduler, the audit
 * projector, ...), exported from `@kairos/access-request-domain/testing`.
 *
 * - `RequestScenario` tells a whole request's story by driving the real decider, so the events are
 *   exactly what the request service appends (types, order, fields).
 * - `requestEvents(requestId)` builds one event at a time with the times and ids a test chooses, for
 *   tests of a consumer's reaction to a single event (a stray, late or out-of-order one the decider
 *   would never emit in that place). Its shapes come from the `expected.*` factories.
 */

const T0_MS = Date.parse('2025-03-01T09:00:00.000Z');
/** `2025-03-01T09:00Z` plus `hours` (fractions allowed): the clock of `RequestScenario`. */
export const atHour = (hours: number): string => new Date(T0_MS + hours * 3_600_000).toISOString();

const checked = (events: readonly AccessRequestEvent[]): AccessRequestEvent[] => {
  for (const event of events) {
    const result = validateEvent(event.type, event.data);
    if (!result.ok) throw new Error(`fixture ${event.type} breaks its contract: ${formatValidationErrors(result.errors)}`);
  }
  return [...events];
};

export interface RequestedOptions {
  justification?: string;
  /** Approved at once by policy (an automatic item), rather than by the manager u-bob. */
  automatic?: boolean;
  /** The access duration asked for, at most PT8H (the policy's maximum); PT4H unless told. */
  duration?: string;
}

/**
 * One request of one item (`item-1`) told hour by hour, each step a command to the real decider:
 * `RequestScenario.create(alice, 'db-prod', 'read').requested(0).reviewed(0.5, 'u-bob', 'approve')
 * .granted(1).expired(5)`. The policy is the fixtures' (manager `u-bob`, at most PT8H, pending
 * for a day, approval valid for seven days).
 */
export class RequestScenario {
  readonly events: AccessRequestEvent[] = [];
  readonly itemId = 'item-1';

  constructor(
    readonly requestId: string,
    /** `groups` on the requester is how producers sent groups before the contract had `requesterGroups`. */
    private readonly requester: Subject & { groups?: string[] },
    private readonly resourceId: string,
    private readonly role: string,
    private readonly requesterGroups?: string[],
  ) {}

  static create(
    requester: Subject & { groups?: string[] },
    resourceId: string,
    role: string,
    requesterGroups?: string[],
  ): RequestScenario {
    return new RequestScenario(randomUUID(), requester, resourceId, role, requesterGroups);
  }

  get stream(): string {
    return accessRequestStreamName(this.requestId);
  }

  /** The grant id the decider gives the item. */
  get grantId(): string {
    return grantIdFor(this.requestId, this.itemId);
  }

  private run(command: AccessRequestCommand): this {
    const emitted = decide(command, fold(this.events));
    if (emitted.length === 0) throw new Error(`${command.type} changed nothing: the scenario is not a story the decider tells`);
    this.events.push(...checked(emitted));
    return this;
  }

  requested(hour: number, options: RequestedOptions | string = {}): this {
    const o = typeof options === 'string' ? { justification: options } : options;
    const subject: Subject = { id: this.requester.id, kind: this.requester.kind };
    this.run({
      type: 'SubmitAccessRequest',
      data: {
        requestId: this.requestId,
        requester: subject,
        ...(this.requesterGroups ? { requesterGroups: this.requesterGroups } : {}),
        items: [
          {
            itemId: this.itemId,
            resourceId: this.resourceId,
            role: this.role,
            policy: o.automatic ? automaticPolicy() : policy(),
          },
        ],
        justification: o.justification ?? 'investigate incident INC-42',
        duration: o.duration ?? 'PT4H',
        breakGlass: false,
      },
      metadata: meta(atHour(hour), actor(subject.id)),
    });
    const { groups } = this.requester;
    if (groups) {
      // A legacy producer's shape (groups on the requester), which today's decider never writes.
      const requested = this.events[0] as AccessRequested;
      this.events[0] = { ...requested, data: { ...requested.data, requester: { ...subject, groups } as Subject } };
    }
    return this;
  }

  /** A review by an approver; approving passes the manager step, approves the item and asks for the grant. */
  reviewed(hour: number, reviewerId: string, decision: 'approve' | 'deny', comment?: string): this {
    const now = atHour(hour);
    const command: RecordReview = {
      type: 'RecordReview',
      data: {
        requestId: this.requestId,
        itemId: this.itemId,
        reviewId: `rev-${reviewerId}-${hour}`,
        reviewerId,
        decision,
        comment: comment ?? (decision === 'approve' ? 'ok, for the incident' : 'not for production'),
        submittedAt: now,
      },
      metadata: meta(now),
    };
    return this.run(command);
  }

  /** The connector reports the grant done (verified) at `hour`: access until then plus the duration. */
  granted(hour: number): this {
    const now = atHour(hour);
    return this.run({
      type: 'RecordGrantSucceeded',
      data: { requestId: this.requestId, itemId: this.itemId, grantId: this.grantId, attempt: 1, at: now, verified: true },
      metadata: meta(now),
    });
  }

  /** The access expiry timer fires at `hour` (the expiry) and the connector confirms the revocation. */
  expired(hour: number): this {
    const now = atHour(hour);
    const fired: RecordTimerFired = {
      type: 'RecordTimerFired',
      data: {
        timerId: `t-access_expiry-${now}`,
        requestId: this.requestId,
        itemId: this.itemId,
        grantId: this.grantId,
        kind: 'access_expiry',
        dueAt: now,
        firedAt: now,
      },
      metadata: meta(now),
    };
    this.run(fired);
    return this.run({
      type: 'RecordRevokeSucceeded',
      data: { requestId: this.requestId, itemId: this.itemId, grantId: this.grantId, attempt: 1, at: now, verified: true },
      metadata: meta(now),
    });
  }
}

/** Single request-stream events for one request, with the ids and instants the test gives. */
export const requestEvents = (requestId: string) => {
  const resourceId = (itemId: string) => `res-${itemId}`;
  const one = <E extends AccessRequestEvent>(event: E): AccessRequestEvent => checked([event])[0]!;
  return {
    requested: (items: { itemId: string; pendingExpiresAt: string }[], at: string) =>
      one(
        expected.accessRequested({
          requestId,
          items: items.map((i) => ({
            itemId: i.itemId,
            resourceId: resourceId(i.itemId),
            role: 'read',
            policy: policy(),
            pendingExpiresAt: i.pendingExpiresAt,
          })),
          requestedAt: at,
        }),
      ),
    approved: (itemId: string, approvalExpiresAt: string, at: string) =>
      one(expected.itemApproved({ requestId, itemId, via: 'reviews', approvalExpiresAt, approvedAt: at })),
    denied: (itemId: string, at: string) =>
      one(expected.itemDenied({ requestId, itemId, reviewId: 'rev-1', deniedBy: 'u-bob', reason: 'no', deniedAt: at })),
    breakGlassInvoked: (itemId: string, ratifyBy: string, at: string) =>
      one(expected.breakGlassInvoked({ requestId, itemId, ratifyBy, ratifiers: ['u-lead'], invokedAt: at })),
    breakGlassRatified: (itemId: string, at: string) =>
      one(expected.breakGlassRatified({ requestId, itemId, reviewId: 'rev-2', ratifiedBy: 'u-lead', ratifiedAt: at })),
    breakGlassMissed: (itemId: string, grantId: string, ratifyBy: string, at: string) =>
      one(expected.breakGlassRatificationMissed({ requestId, itemId, grantId, ratifyBy, missedAt: at })),
    grantRequested: (itemId: string, grantId: string, at: string) =>
      one(expected.grantRequested({ requestId, itemId, grantId, requestedAt: at })),
    provisioningFailed: (itemId: string, grantId: string, final: boolean, at: string) =>
      one(expected.provisioningFailed({ requestId, itemId, grantId, reason: 'target down', final, failedAt: at })),
    granted: (itemId: string, grantId: string, expiresAt: string, at: string) =>
      one(expected.accessGranted({ requestId, itemId, grantId, grantedAt: at, expiresAt })),
    extended: (itemId: string, grantId: string, previousExpiresAt: string, expiresAt: string, at: string) =>
      one(expected.accessExtended({ requestId, itemId, grantId, previousExpiresAt, expiresAt, extendedAt: at })),
    accessExpired: (itemId: string, grantId: string, expiresAt: string, at: string) =>
      one(expected.accessExpired({ requestId, itemId, grantId, expiresAt, expiredAt: at })),
    revocationRequested: (itemId: string, grantId: string, reason: RevocationReason, at: string) =>
      one(expected.revocationRequested({ requestId, itemId, grantId, reason, requestedAt: at })),
    revoked: (itemId: string, grantId: string, at: string) =>
      one(expected.accessRevoked({ requestId, itemId, grantId, reason: 'released', revokedAt: at })),
    cancelled: (itemId: string, at: string) =>
      one(expected.itemCancelled({ requestId, itemId, cancelledAt: at })),
    itemExpired: (itemId: string, pendingExpiresAt: string, at: string) =>
      one(expected.itemExpired({ requestId, itemId, pendingExpiresAt, expiredAt: at })),
    approvalExpired: (itemId: string, approvalExpiresAt: string, at: string) =>
      one(expected.approvalExpired({ requestId, itemId, approvalExpiresAt, expiredAt: at })),
  };
};
