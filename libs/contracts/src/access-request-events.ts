import type { AccessRequestEventCatalogue, subjectSchema } from './access-request-events.catalogue';
import type { DataOf, Infer } from './json-schema';

export type { GrantTarget } from './policy-snapshot';

/**
 * Events of the request stream `access-request-<uuid>`, relayed unchanged to the public Kafka
 * topic `access-request.events`. Names are frozen once published; a new shape is a new version in
 * the catalogue plus an upcaster (see `upcasting.ts`).
 *
 * Each event is defined once, as a schema in `access-request-events.catalogue.ts` (where every field
 * is described); the types below are inferred from it, so the type the code uses and the schema
 * producers and consumers validate against cannot drift apart.
 */
export type Event<Type extends string, Data extends Record<string, unknown>> = Readonly<{
  type: Type;
  data: Readonly<Data>;
}>;

export type Iso8601 = string;
export type IsoDuration = string;

export type Subject = Infer<typeof subjectSchema>;

export const REVIEW_DECISIONS = ['approve', 'deny'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];
export const REVIEW_SUBJECTS = ['approval', 'extension', 'break_glass_ratification'] as const;
export type ReviewSubjectKind = (typeof REVIEW_SUBJECTS)[number];
export const APPROVAL_VIAS = ['automatic', 'reviews', 'reused_approval', 'break_glass'] as const;
export type ApprovalVia = (typeof APPROVAL_VIAS)[number];
export const EXTENSION_VIAS = ['policy', 'reviews'] as const;
export type ExtensionVia = (typeof EXTENSION_VIAS)[number];
export const ESCALATION_REASONS = ['unanswered', 'delegation'] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

export const REVOCATION_REASONS = [
  'expired',
  'released',
  'revoked_by_admin',
  'break_glass_not_ratified',
  'break_glass_rejected',
  'cancelled',
  'approval_expired',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** The event of the given type, its data inferred from the catalogue's schema. */
type CatalogueEvent<T extends keyof AccessRequestEventCatalogue> = Event<T, DataOf<AccessRequestEventCatalogue[T]>>;

export type RequestedItem = AccessRequested['data']['items'][number];

export type AccessRequested = CatalogueEvent<'AccessRequested'>;
export type ReviewRecorded = CatalogueEvent<'ReviewRecorded'>;
export type ApprovalStepPassed = CatalogueEvent<'ApprovalStepPassed'>;
export type ItemApproved = CatalogueEvent<'ItemApproved'>;
export type ItemDenied = CatalogueEvent<'ItemDenied'>;
export type BreakGlassInvoked = CatalogueEvent<'BreakGlassInvoked'>;
export type BreakGlassRatified = CatalogueEvent<'BreakGlassRatified'>;
export type BreakGlassRatificationMissed = CatalogueEvent<'BreakGlassRatificationMissed'>;
export type ReviewEscalated = CatalogueEvent<'ReviewEscalated'>;
export type GrantRequested = CatalogueEvent<'GrantRequested'>;
export type ProvisioningStarted = CatalogueEvent<'ProvisioningStarted'>;
export type ProvisioningFailed = CatalogueEvent<'ProvisioningFailed'>;
export type AccessGranted = CatalogueEvent<'AccessGranted'>;
export type ExtensionRequested = CatalogueEvent<'ExtensionRequested'>;
export type ExtensionDenied = CatalogueEvent<'ExtensionDenied'>;
export type AccessExtended = CatalogueEvent<'AccessExtended'>;
export type AccessExpired = CatalogueEvent<'AccessExpired'>;
export type RevocationRequested = CatalogueEvent<'RevocationRequested'>;
export type RevocationFailed = CatalogueEvent<'RevocationFailed'>;
export type AccessRevoked = CatalogueEvent<'AccessRevoked'>;
export type ApprovalExpired = CatalogueEvent<'ApprovalExpired'>;
export type ItemExpired = CatalogueEvent<'ItemExpired'>;
export type ItemCancelled = CatalogueEvent<'ItemCancelled'>;

/** Every request-stream event: one per catalogue entry (the compiler derives the list). */
export type AccessRequestEvent = { [T in keyof AccessRequestEventCatalogue]: CatalogueEvent<T> }[keyof AccessRequestEventCatalogue];

export type AccessRequestEventType = AccessRequestEvent['type'];
export type AccessRequestEventOf<T extends AccessRequestEventType> = Extract<AccessRequestEvent, { type: T }>;

export const ACCESS_REQUEST_STREAM_PREFIX = 'access-request-';
export const accessRequestStreamName = (requestId: string): string => `${ACCESS_REQUEST_STREAM_PREFIX}${requestId}`;
/** The request id of a request stream's name (the inverse of `accessRequestStreamName`). */
export const requestIdOfStream = (stream: string): string =>
  stream.startsWith(ACCESS_REQUEST_STREAM_PREFIX) ? stream.slice(ACCESS_REQUEST_STREAM_PREFIX.length) : stream;
