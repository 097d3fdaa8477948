import type { Clock } from '@kairos/clock';
import { refuse } from '@kairos/refusal';
import type { Resolver, ResolveOutcome, TicketResolution, TicketView } from '../../domain/tickets';

/** The fulfilment queue's one transaction: checks who resolves, records the outcome and its result message. */
export interface TicketStore {
  resolveTicket(ticketId: string, resolution: TicketResolution, resolver: Resolver, now: Date): Promise<ResolveOutcome>;
}

/** Wakes the worker and the outbox relay (the result message is waiting). */
export interface Wakeup {
  notify(): void;
}

/**
 * A person completes or fails a manual fulfilment ticket. Only the resource's fulfillers (its
 * owners as the request's policy snapshot recorded them) or an admin may, never the person the
 * access is for, its requester or whoever submitted it for them (domain/fulfilment). Refuses
 * otherwise; a person's word is recorded as theirs, never as a check of the target.
 */
export class ResolveTicket {
  constructor(
    private readonly tickets: TicketStore,
    private readonly wakeup: Wakeup,
    private readonly clock: Clock,
  ) {}

  async resolve(ticketId: string, kind: TicketResolution['kind'], comment: string, resolver: Resolver): Promise<TicketView> {
    const outcome = await this.tickets.resolveTicket(ticketId, { kind, by: resolver.id, comment }, resolver, this.clock.now());
    switch (outcome.kind) {
      case 'resolved':
        this.wakeup.notify();
        return outcome.ticket;
      case 'not_found':
        throw refuse.notFound('TICKET.NOT_FOUND', 'no such ticket');
      case 'already_resolved':
        throw refuse.conflict('TICKET.ALREADY_RESOLVED', `the ticket is already ${outcome.status}`);
      case 'own_access':
        throw refuse.forbidden('TICKET.OWN_ACCESS', 'nobody fulfils a ticket about their own access or request');
      case 'not_fulfiller':
        throw refuse.forbidden('TICKET.NOT_FULFILLER', "only the resource's fulfillers or an admin may resolve this ticket");
      default: {
        const exhaustive: never = outcome;
        return exhaustive;
      }
    }
  }
}
