import type { AccessDetails, ConnectorName, JobAction } from '../../domain/job';
import type { RequestItemContext } from '../../domain/fulfilment';

/** A message of the access-request topic, as the consumer received it (authenticated, parsed). */
export interface RequestEvent {
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly correlationId?: string;
}

export interface NewJob extends AccessDetails {
  readonly kind: 'job';
  /** Minted by the use case; a second request for the same effect keeps the first job's. */
  readonly id: string;
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly action: JobAction;
  readonly connector: ConnectorName;
  readonly target: string;
  readonly subject: { readonly id: string; readonly kind: 'person' | 'service' };
  readonly correlationId?: string;
}

/** What one access-request event makes the connector record: a job, the request's context, or nothing. */
export type Recordable = NewJob | { readonly kind: 'request'; readonly items: readonly RequestItemContext[] };

/**
 * Defence in depth behind message signatures: confirms the request's own stream asks for this
 * grant or revocation (adapters/eventstore). Throws when it does not (the message is poison) or
 * when the stream cannot be read (transient: retried).
 */
export interface RequestStream {
  confirm(event: RequestEvent): Promise<void>;
}

/** The job ledger, bound to the consumer's (inbox) transaction. */
export interface JobLedger {
  /** Records a job (a second request for the same effect is a no-op) or a request's context; true when something new was kept. */
  record(recordable: Recordable, now: Date): Promise<boolean>;
}

/** The role the identity holds in the target because of a grant (each connector plug-in says). */
export type AccessRoleOf = (connector: ConnectorName, access: { readonly target: string; readonly role: string; readonly grantId: string }) => string;
