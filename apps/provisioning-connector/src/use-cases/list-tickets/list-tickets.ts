import type { Resolver, TicketStatus, TicketView } from '../../domain/tickets';

export interface TicketQueue {
  /** Tickets the reader may resolve: all of them for admins, the items they fulfil for anyone else. */
  listTickets(status: TicketStatus | undefined, limit: number, reader: Resolver): Promise<TicketView[]>;
}

/** The fulfilment queue as one reader may see it, oldest first (approvers see only the tickets they may resolve). */
export class ListTickets {
  constructor(private readonly tickets: TicketQueue) {}

  /** Open tickets unless `status` says otherwise; 100 at most unless `limit` says otherwise. */
  list(reader: Resolver, status: TicketStatus = 'open', limit = 100): Promise<TicketView[]> {
    return this.tickets.listTickets(status, limit, reader);
  }
}
