import { ALICE, BOB, RequestScenario } from '@kairos/access-request-domain/testing';
import { applyEvent, isOpen, itemOf, type Request } from './request-state';

/** This service's copy of a request, folded from access-request.events by the request domain's own `evolve`. */
describe("the copy of a request (folded from the request stream)", () => {
  const fold = (scenario: RequestScenario): Request => {
    let copy: Request | undefined;
    for (const event of scenario.events) {
      const result = applyEvent(copy, event);
      if (result.kind === 'changed') copy = result.state;
      if (result.kind === 'unknown_request') throw new Error('unexpected unknown request');
    }
    return copy!;
  };

  it('starts with AccessRequested: the request is open while its item awaits a review', () => {
    const copy = fold(RequestScenario.create(ALICE, 'orders-db', 'read').requested(0));
    expect(copy.requester.id).toBe(ALICE.id);
    expect(isOpen(copy)).toBe(true);
    expect(itemOf(copy, 'item-1')?.status).toBe('awaiting_approval');
    expect(itemOf(copy, 'no-such-item')).toBeUndefined();
  });

  it('closes for reviews once the item is approved', () => {
    const copy = fold(RequestScenario.create(ALICE, 'orders-db', 'read').requested(0).reviewed(0.5, BOB, 'approve'));
    expect(itemOf(copy, 'item-1')?.status).toBe('approved');
    expect(isOpen(copy)).toBe(false);
  });

  it('calls an event of a request it never saw an unknown request (the consumer dead-letters it)', () => {
    const scenario = RequestScenario.create(ALICE, 'orders-db', 'read').requested(0).reviewed(0.5, BOB, 'approve');
    expect(applyEvent(undefined, scenario.events.at(-1)!)).toEqual({ kind: 'unknown_request' });
  });
});
