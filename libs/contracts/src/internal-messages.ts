import type { Event, Iso8601, IsoDuration } from './access-request-events';
import type { CatalogueEntry } from './access-request-events.catalogue';
import { bool, instant, int, isoDuration, obj, oneOf, str, text } from './json-schema';

/**
 * Messages of the internal topics whose content the request service records on the request
 * stream. Same `{ type, data }` shape as events; the Kafka record key is the request id.
 */
export const TOPICS = {
  accessRequestEvents: 'access-request.events',
  approvalDecisions: 'approval.decisions',
  provisioningResults: 'provisioning.results',
  expiryEvents: 'expiry.events',
} as const;

export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

// approval.decisions (approval-policy-service)

/** A review by an identity the policy service found eligible for the item's current step. */
export type ReviewSubmitted = Event<
  'ReviewSubmitted',
  {
    requestId: string;
    itemId: string;
    reviewId: string;
    reviewerId: string;
    decision: 'approve' | 'deny';
    comment?: string;
    shortenDurationTo?: IsoDuration;
    submittedAt: Iso8601;
  }
>;
export type ApprovalDecisionMessage = ReviewSubmitted;

// provisioning.results (provisioning-connector)

type GrantAttempt = {
  requestId: string;
  itemId: string;
  grantId: string;
  attempt: number;
  at: Iso8601;
};

export type ProvisioningStartedMessage = Event<'ProvisioningStarted', GrantAttempt & { ticketId?: string }>;
export type GrantSucceeded = Event<'GrantSucceeded', GrantAttempt & { verified: boolean }>;
export type GrantFailed = Event<'GrantFailed', GrantAttempt & { reason: string; final: boolean; verified: boolean }>;
export type RevokeSucceeded = Event<'RevokeSucceeded', GrantAttempt & { verified: boolean }>;
export type RevokeFailed = Event<'RevokeFailed', GrantAttempt & { reason: string; final: boolean; verified: boolean }>;
export type ProvisioningResultMessage =
  ProvisioningStartedMessage | GrantSucceeded | GrantFailed | RevokeSucceeded | RevokeFailed;

// expiry.events (expiry-scheduler)

export const TIMER_KINDS = ['access_expiry', 'approval_expiry', 'pending_ttl', 'break_glass_review'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export type TimerFired = Event<
  'TimerFired',
  {
    timerId: string;
    requestId: string;
    itemId: string;
    grantId?: string;
    kind: TimerKind;
    dueAt: Iso8601;
    firedAt: Iso8601;
  }
>;
export type ExpiryMessage = TimerFired;

export type InternalMessage = ApprovalDecisionMessage | ProvisioningResultMessage | ExpiryMessage;

export interface InternalTopicMessages {
  'approval.decisions': ApprovalDecisionMessage;
  'provisioning.results': ProvisioningResultMessage;
  'expiry.events': ExpiryMessage;
}
export type InternalTopic = keyof InternalTopicMessages;

const attempt = {
  requestId: str(),
  itemId: str(),
  grantId: str(),
  attempt: int(1, 'Attempt number, from 1, per grant and action'),
  at: instant(),
};
const failure = {
  reason: text('What the target system said'),
  final: bool('True when retries are exhausted'),
  verified: bool('The outcome was checked in the target system'),
};

type TopicCatalogue<M extends { type: string }> = { [T in M['type']]: CatalogueEntry };

export const internalMessageCatalogue: { [Topic in InternalTopic]: TopicCatalogue<InternalTopicMessages[Topic]> } = {
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
        decision: oneOf(['approve', 'deny']),
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
      description: 'The grant exists in the target system.',
      schema: obj({ ...attempt, verified: bool() }),
    },
    GrantFailed: { version: 1, description: 'A grant attempt failed.', schema: obj({ ...attempt, ...failure }) },
    RevokeSucceeded: {
      version: 1,
      description: 'The grant was removed from the target system.',
      schema: obj({ ...attempt, verified: bool() }),
    },
    RevokeFailed: { version: 1, description: 'A revocation attempt failed.', schema: obj({ ...attempt, ...failure }) },
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
};
