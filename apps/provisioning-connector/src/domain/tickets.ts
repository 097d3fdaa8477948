import type { JobAction } from './job';

/** A manual fulfilment ticket: open until a person completes or fails it. */
export type TicketStatus = 'open' | 'completed' | 'failed';

export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'completed', 'failed'];

export interface TicketView {
  readonly id: string;
  readonly status: TicketStatus;
  readonly action: JobAction;
  readonly requestId: string;
  readonly itemId: string;
  readonly grantId: string;
  readonly target: string;
  readonly subject: { id: string; kind: string };
  /** What to grant or remove, for whom, until when and why. */
  readonly resourceId: string | null;
  readonly role: string | null;
  readonly duration: string | null;
  /** Revocations: the expiry the grant had. Grants: the access runs `duration` from completion. */
  readonly expiresAt: string | null;
  readonly breakGlass: boolean;
  readonly justification: string | null;
  readonly requestTicket: string | null;
  readonly requesterId: string | null;
  readonly revocationReason: string | null;
  readonly requestPath: string;
  /** Who may resolve it besides admins (never the requester). */
  readonly fulfillers: string[];
  readonly comment: string | null;
  readonly resolvedBy: string | null;
  readonly openedAt: string;
  readonly resolvedAt: string | null;
}

export type TicketResolution =
  | { readonly kind: 'completed'; readonly by: string; readonly comment: string }
  | { readonly kind: 'failed'; readonly by: string; readonly comment: string };

export type ResolveOutcome =
  | { readonly kind: 'resolved'; readonly ticket: TicketView }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'already_resolved'; readonly status: TicketStatus }
  | { readonly kind: 'own_access' }
  | { readonly kind: 'not_fulfiller' };

/** Whoever resolves or lists tickets. */
export interface Resolver {
  readonly id: string;
  readonly roles: readonly string[];
}
