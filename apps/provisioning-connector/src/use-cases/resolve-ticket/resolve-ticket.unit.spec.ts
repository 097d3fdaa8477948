import { Refusal } from '@kairos/refusal';
import type { Resolver, ResolveOutcome, TicketResolution, TicketView } from '../../domain/tickets';
import { ResolveTicket, type TicketStore } from './resolve-ticket';

// The resolve-ticket use case over an in-memory ticket store that answers as scripted (the
// separation-of-duties rule itself is domain/fulfilment's, proved against PostgreSQL in test/).

const now = new Date('2026-03-02T09:00:00.000Z');
const ticket = { id: 't-1', status: 'completed' } as TicketView;

function resolveWith(outcome: ResolveOutcome) {
  const asked: { ticketId: string; resolution: TicketResolution; resolver: Resolver; now: Date }[] = [];
  let woken = 0;
  const store: TicketStore = {
    resolveTicket: async (ticketId, resolution, resolver, at) => {
      asked.push({ ticketId, resolution, resolver, now: at });
      return outcome;
    },
  };
  const useCase = new ResolveTicket(store, { notify: () => void woken++ }, { now: () => now });
  return { useCase, asked, woken: () => woken };
}

const olga: Resolver = { id: 'olga', roles: ['approver'] };

describe('resolving a fulfilment ticket (use case)', () => {
  it('records the resolution as said by the person resolving it, and wakes the worker and relay', async () => {
    const { useCase, asked, woken } = resolveWith({ kind: 'resolved', ticket });
    expect(await useCase.resolve('t-1', 'completed', 'added in the console', olga)).toBe(ticket);
    expect(asked).toEqual([{ ticketId: 't-1', resolution: { kind: 'completed', by: 'olga', comment: 'added in the console' }, resolver: olga, now }]);
    expect(woken()).toBe(1);
  });

  it.each([
    [{ kind: 'not_found' } as const, 'not_found', 'TICKET.NOT_FOUND', 'no such ticket'],
    [{ kind: 'already_resolved', status: 'failed' } as const, 'conflict', 'TICKET.ALREADY_RESOLVED', 'the ticket is already failed'],
    [{ kind: 'own_access' } as const, 'forbidden', 'TICKET.OWN_ACCESS', 'nobody fulfils a ticket about their own access or request'],
    [{ kind: 'not_fulfiller' } as const, 'forbidden', 'TICKET.NOT_FULFILLER', "only the resource's fulfillers or an admin may resolve this ticket"],
  ])('refuses %j as %s (%s) and wakes nobody', async (outcome, kind, code, detail) => {
    const { useCase, woken } = resolveWith(outcome);
    const refusal = await useCase.resolve('t-1', 'failed', 'no', olga).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(Refusal);
    expect(refusal).toMatchObject({ kind, code, detail });
    expect(woken()).toBe(0);
  });
});
