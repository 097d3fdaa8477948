import { ESCALATION_REASONS, REVIEW_DECISIONS, type Event } from './access-request-events';
import type { CatalogueEntry } from './access-request-events.catalogue';
import { arrayOf, bool, instant, int, isoDuration, obj, oneOf, str, text, type DataOf } from './json-schema';

/**
 * Messages of the internal topics whose content the request service records on the request
 * stream. Same `{ type, data }` shape as events; the Kafka record key is the request id. Each
 * message is defined once, as a schema in `internalMessageCatalogue` below; its type is inferred.
 */
export const TOPICS = {
  accessRequestEvents: 'access-request.events',
  approvalDecisions: 'approval.decisions',
  provisioningResults: 'provisioning.results',
  expiryEvents: 'expiry.events',
  notifierEscalations: 'notifier.escalations',
} as const;

export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

export const TIMER_KINDS = ['access_expiry', 'approval_expiry', 'pending_ttl', 'break_glass_review'] as const;

const attempt = {
  requestId: str(),
  itemId: str(),
  grantId: str(),
  attempt: int(1, 'Attempt number, from 1, per grant and action'),
  at: instant(),
};
const fulfilment = {
  'fulfilledBy?': str('The person who resolved the manual fulfilment ticket'),
  'comment?': text('What that person wrote when resolving it'),
};
const failure = {
  reason: text('What the target system said'),
  final: bool('True when retries are exhausted'),
  verified: bool('The outcome was checked in the target system'),
};

export const internalMessageCatalogue = {
  'approval.decisions': {
    ReviewSubmitted: {
      version: 1,
      description:
        'An eligible reviewer approved or denied an item (also ratifies break-glass and approves extensions).',
      schema: obj({
        requestId: str(),
        itemId: str(),
        reviewId: str(),
        reviewerId: str(),
        decision: oneOf(REVIEW_DECISIONS),
        'comment?': text(),
        'shortenDurationTo?': isoDuration('May only shorten the access'),
        submittedAt: instant(),
      }),
    },
  },
  'provisioning.results': {
    ProvisioningStarted: {
      version: 1,
      description: 'A grant attempt started; ticketId when a person fulfils it.',
      schema: obj({ ...attempt, 'ticketId?': str() }),
    },
    GrantSucceeded: {
      version: 1,
      description: 'The grant exists in the target system (verified: checked there; fulfilledBy: a person vouched for it).',
      schema: obj({ ...attempt, verified: bool('Checked in the target system for exactly this identity and role'), ...fulfilment }),
    },
    GrantFailed: { version: 1, description: 'A grant attempt failed.', schema: obj({ ...attempt, ...failure, ...fulfilment }) },
    RevokeSucceeded: {
      version: 1,
      description:
        'The grant ended: removed from the target system, or (retainedBy) left in place because other active grants need the same role.',
      schema: obj({
        ...attempt,
        verified: bool('Checked in the target system: this access is gone'),
        'retainedBy?': arrayOf(str(), 'Active grants of the same identity and role that keep the role in the target (at most ten named, the earliest granted)'),
        ...fulfilment,
      }),
    },
    RevokeFailed: { version: 1, description: 'A revocation attempt failed.', schema: obj({ ...attempt, ...failure, ...fulfilment }) },
  },
  'expiry.events': {
    TimerFired: {
      version: 1,
      description: 'A durable timer came due.',
      schema: obj({
        timerId: str(),
        requestId: str(),
        itemId: str(),
        'grantId?': str(),
        kind: oneOf(TIMER_KINDS),
        dueAt: instant(),
        firedAt: instant(),
      }),
    },
  },
  'notifier.escalations': {
    ReviewEscalationRequested: {
      version: 1,
      description:
        "Let more people review an item's current step: its fallback approvers after nobody answered, or an approver's delegate.",
      schema: obj({
        requestId: str(),
        itemId: str(),
        escalationId: str(),
        step: int(0),
        reason: oneOf(ESCALATION_REASONS),
        approvers: arrayOf(str()),
        'delegatedBy?': str(),
        'until?': instant(),
        requestedAt: instant(),
      }),
    },
  },
} satisfies { readonly [topic: string]: { readonly [type: string]: CatalogueEntry } };

type InternalCatalogue = typeof internalMessageCatalogue;
/** The message of the given topic and type, its data inferred from the catalogue's schema. */
type MessageOf<Topic extends keyof InternalCatalogue, Type extends keyof InternalCatalogue[Topic] & string> = Event<
  Type,
  DataOf<InternalCatalogue[Topic][Type]>
>;

// approval.decisions (approval-policy-service)

/** A review by an identity the policy service found eligible for the item's current step. */
export type ReviewSubmitted = MessageOf<'approval.decisions', 'ReviewSubmitted'>;
export type ApprovalDecisionMessage = ReviewSubmitted;

// provisioning.results (provisioning-connector)

export type ProvisioningStartedMessage = MessageOf<'provisioning.results', 'ProvisioningStarted'>;
/** `verified`: the connector checked the target for exactly this access (identity + role) and found it. */
export type GrantSucceeded = MessageOf<'provisioning.results', 'GrantSucceeded'>;
export type GrantFailed = MessageOf<'provisioning.results', 'GrantFailed'>;
/**
 * `verified`: the connector checked the target and this access is gone. `retainedBy`: this grant
 * ended but other active grants of the same identity still need the same role in the same target,
 * so the role was left in place (and `verified` is false: it is not gone).
 */
export type RevokeSucceeded = MessageOf<'provisioning.results', 'RevokeSucceeded'>;
export type RevokeFailed = MessageOf<'provisioning.results', 'RevokeFailed'>;
export type ProvisioningResultMessage =
  ProvisioningStartedMessage | GrantSucceeded | GrantFailed | RevokeSucceeded | RevokeFailed;

// expiry.events (expiry-scheduler)

export type TimerKind = (typeof TIMER_KINDS)[number];
export type TimerFired = MessageOf<'expiry.events', 'TimerFired'>;
export type ExpiryMessage = TimerFired;

// notifier.escalations (notifier)

/**
 * The notifier asks the request service to let more people review an item's current step: the
 * step's fallback approvers once nobody answered in time, or a delegate of an approver who is away.
 * The decider records it only while the item still waits on that step.
 */
export type ReviewEscalationRequested = MessageOf<'notifier.escalations', 'ReviewEscalationRequested'>;
export type NotifierMessage = ReviewEscalationRequested;

export type InternalMessage = ApprovalDecisionMessage | ProvisioningResultMessage | ExpiryMessage | NotifierMessage;

export interface InternalTopicMessages {
  'approval.decisions': ApprovalDecisionMessage;
  'provisioning.results': ProvisioningResultMessage;
  'expiry.events': ExpiryMessage;
  'notifier.escalations': NotifierMessage;
}
export type InternalTopic = keyof InternalTopicMessages;
