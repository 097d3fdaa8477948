import {
  APPROVAL_VIAS,
  ESCALATION_REASONS,
  EXTENSION_VIAS,
  REVIEW_DECISIONS,
  REVIEW_SUBJECTS,
  REVOCATION_REASONS,
} from './access-request-events';
import { arrayOf, arrayOfAtLeast, bool, instant, int, isoDuration, JsonSchema, obj, oneOf, str, text } from './json-schema';
import { grantTargetProperties, itemPolicySnapshotSchema } from './policy-snapshot.schema';

export interface CatalogueEntry {
  /** Current schema version; recorded events without a version are version 1. */
  readonly version: number;
  readonly description: string;
  readonly schema: JsonSchema;
}

const ids = { requestId: str('Request id (uuid), also the Kafka key'), itemId: str('Item id, unique in its request') };
export const subjectSchema = obj({ id: str(), kind: oneOf(['person', 'service']) }, 'The identity that holds the access');
const subject = subjectSchema;
const target = obj(grantTargetProperties, 'Where the connector grants it (never credentials)');
const grantee = { subject, resourceId: str(), role: str() };
const revocationReason = oneOf(REVOCATION_REASONS, 'Why the access ends');

/**
 * The one catalogue of request-stream events: name, version, payload schema, meaning. It is the
 * only definition of each event: the TypeScript types in `access-request-events.ts` are inferred
 * from these schemas, and the published copies in `published/` are checked against them.
 */
export const accessRequestEventCatalogue = {
  AccessRequested: {
    version: 1,
    description:
      'A request for one or more items was submitted, with the policy of each item as evaluated at submission.',
    schema: obj({
      requestId: str(),
      requester: subject,
      'requesterGroups?': arrayOf(str(), "The requester's directory groups at submission (a snapshot, never rewritten)"),
      requestedBy: str('The submitting identity: the requester, or an admin on their behalf'),
      onBehalf: bool(),
      justification: text(),
      duration: isoDuration('Requested access duration'),
      'ticket?': str(),
      breakGlass: bool(),
      items: arrayOfAtLeast(
        1,
        obj({
          itemId: str(),
          resourceId: str(),
          role: str(),
          policy: itemPolicySnapshotSchema,
          pendingExpiresAt: instant('When the item stops waiting for approval'),
        }),
      ),
      requestedAt: instant(),
    }),
  },
  ReviewRecorded: {
    version: 1,
    description: 'A review (approval, extension or break-glass ratification) was accepted and counted.',
    schema: obj({
      ...ids,
      reviewId: str(),
      reviewerId: str(),
      decision: oneOf(REVIEW_DECISIONS),
      'comment?': text(),
      'shortenDurationTo?': isoDuration('Shorter duration asked by the reviewer'),
      subject: oneOf(REVIEW_SUBJECTS),
      step: int(0),
      stepName: text(),
      'extensionId?': str(),
      submittedAt: instant(),
      recordedAt: instant(),
    }),
  },
  ApprovalStepPassed: {
    version: 1,
    description: "An approval step of an item (or of an item's extension) reached its required approvals.",
    schema: obj({
      ...ids,
      step: int(0),
      stepName: text(),
      approvedBy: arrayOf(str()),
      'extensionId?': str(),
      passedAt: instant(),
    }),
  },
  ItemApproved: {
    version: 1,
    description: 'An item is approved; its approval is valid until approvalExpiresAt.',
    schema: obj({
      ...ids,
      via: oneOf(APPROVAL_VIAS),
      duration: isoDuration('Effective access duration'),
      approvalExpiresAt: instant(),
      'reusedFrom?': obj({ requestId: str(), itemId: str() }),
      approvedAt: instant(),
    }),
  },
  ItemDenied: {
    version: 1,
    description: 'A reviewer denied an item; the item is closed.',
    schema: obj({ ...ids, reviewId: str(), deniedBy: str(), reason: text(), deniedAt: instant() }),
  },
  BreakGlassInvoked: {
    version: 1,
    description: 'Break-glass access was taken without prior approval; it must be ratified by ratifyBy.',
    schema: obj({
      ...ids,
      invokedBy: str(),
      ratifyBy: instant(),
      ratifiers: arrayOf(str()),
      invokedAt: instant(),
    }),
  },
  BreakGlassRatified: {
    version: 1,
    description: 'A ratifier confirmed a break-glass access after the fact.',
    schema: obj({ ...ids, reviewId: str(), ratifiedBy: str(), ratifiedAt: instant() }),
  },
  BreakGlassRatificationMissed: {
    version: 1,
    description: 'Nobody ratified a break-glass access in time; it is being revoked. Admins must be told.',
    schema: obj({ ...ids, grantId: str(), ratifyBy: instant(), missedAt: instant() }),
  },
  ReviewEscalated: {
    version: 1,
    description:
      "More people may review the item's current step: its fallback approvers after nobody answered (unanswered), or an approver's delegate while away (delegation).",
    schema: obj({
      ...ids,
      escalationId: str('Unique per escalation; stable across redelivery'),
      step: int(0, 'The approval step (from 0) the approvers are added to'),
      reason: oneOf(ESCALATION_REASONS),
      approvers: arrayOf(str(), 'Identity ids added as eligible for the step'),
      'delegatedBy?': str('The approver who delegated (reason delegation)'),
      'until?': instant('End of the delegation (reason delegation)'),
      escalatedAt: instant(),
    }),
  },
  GrantRequested: {
    version: 1,
    description: 'The connector is asked to grant an approved item (idempotent by grantId).',
    schema: obj({
      ...ids,
      grantId: str(),
      ...grantee,
      target,
      duration: isoDuration('Access duration once granted'),
      breakGlass: bool(),
      requestedAt: instant(),
    }),
  },
  ProvisioningStarted: {
    version: 1,
    description: 'The connector started a grant attempt (ticketId for manual fulfilment).',
    schema: obj({ ...ids, grantId: str(), attempt: int(1), 'ticketId?': str(), startedAt: instant() }),
  },
  ProvisioningFailed: {
    version: 1,
    description: 'A grant attempt failed; final means the connector gave up and the item failed.',
    schema: obj({
      ...ids,
      grantId: str(),
      attempt: int(1),
      reason: text(),
      final: bool(),
      'fulfilledBy?': str('The person who failed the manual fulfilment ticket'),
      'comment?': text('What that person wrote'),
      failedAt: instant(),
    }),
  },
  AccessGranted: {
    version: 1,
    description: 'The access exists in the target system until expiresAt.',
    schema: obj({
      ...ids,
      grantId: str(),
      ...grantee,
      breakGlass: bool(),
      verified: bool('Checked in the target system for exactly this identity and role'),
      'fulfilledBy?': str('The person who fulfilled the manual ticket (their word, not a check)'),
      'comment?': text('What that person wrote'),
      grantedAt: instant(),
      expiresAt: instant(),
    }),
  },
  ExtensionRequested: {
    version: 1,
    description: 'The requester asked to extend an active access; the extension needs reviews.',
    schema: obj({
      ...ids,
      grantId: str(),
      extensionId: str(),
      requestedBy: str(),
      currentExpiresAt: instant(),
      requestedExpiresAt: instant(),
      requestedAt: instant(),
    }),
  },
  ExtensionDenied: {
    version: 1,
    description: 'A reviewer denied an extension; the access keeps its current expiry.',
    schema: obj({
      ...ids,
      grantId: str(),
      extensionId: str(),
      reviewId: str(),
      deniedBy: str(),
      reason: text(),
      deniedAt: instant(),
    }),
  },
  AccessExtended: {
    version: 1,
    description: 'The expiry of an active grant moved to expiresAt (same grant, no overlap).',
    schema: obj({
      ...ids,
      grantId: str(),
      via: oneOf(EXTENSION_VIAS),
      'extensionId?': str(),
      previousExpiresAt: instant(),
      expiresAt: instant(),
      extendedAt: instant(),
    }),
  },
  AccessExpired: {
    version: 1,
    description: 'The access reached its expiry; a revocation follows.',
    schema: obj({ ...ids, grantId: str(), expiresAt: instant(), expiredAt: instant() }),
  },
  RevocationRequested: {
    version: 1,
    description: 'The connector is asked to remove a grant (idempotent by grantId).',
    schema: obj({
      ...ids,
      grantId: str(),
      reason: revocationReason,
      'requestedBy?': str(),
      ...grantee,
      target,
      requestedAt: instant(),
    }),
  },
  RevocationFailed: {
    version: 1,
    description: 'A revocation attempt failed; final means the connector stopped retrying and a person must act.',
    schema: obj({ ...ids, grantId: str(), attempt: int(1), reason: text(), final: bool(), failedAt: instant() }),
  },
  AccessRevoked: {
    version: 1,
    description: 'The grant was removed from the target system; the item is closed.',
    schema: obj({
      ...ids,
      grantId: str(),
      ...grantee,
      reason: revocationReason,
      verified: bool('Checked in the target system: the access is really gone'),
      'retainedBy?': arrayOf(str(), 'Live grants that still need the same role (at most ten named, the earliest granted): this grant ended, the role stays for them (verified is then false)'),
      'fulfilledBy?': str('The person who carried out a manual revocation ticket (their word, not a check)'),
      'comment?': text('What that person wrote'),
      revokedAt: instant(),
    }),
  },
  ApprovalExpired: {
    version: 1,
    description: 'An approved item was not granted before its approval expired; the item is closed.',
    schema: obj({ ...ids, approvalExpiresAt: instant(), expiredAt: instant() }),
  },
  ItemExpired: {
    version: 1,
    description: 'An item waited for approval longer than its policy allows; the item is closed.',
    schema: obj({ ...ids, pendingExpiresAt: instant(), expiredAt: instant() }),
  },
  ItemCancelled: {
    version: 1,
    description: 'The requester or an admin cancelled an item before it was granted.',
    schema: obj({ ...ids, cancelledBy: str(), 'reason?': text(), cancelledAt: instant() }),
  },
} satisfies Record<string, CatalogueEntry>;

export type AccessRequestEventCatalogue = typeof accessRequestEventCatalogue;
type AccessRequestEventType = keyof AccessRequestEventCatalogue;

export const accessRequestEventTypes = Object.keys(accessRequestEventCatalogue) as AccessRequestEventType[];

export const isAccessRequestEventType = (type: string): type is AccessRequestEventType =>
  Object.prototype.hasOwnProperty.call(accessRequestEventCatalogue, type);
