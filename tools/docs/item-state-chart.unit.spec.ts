import { readFileSync } from 'node:fs';
import { exploreItemTransitions } from '@kairos/access-request-domain/testing';
import { ITEM_STATES_DOC, renderItemStatesDoc } from './item-state-chart';

describe('the item state chart in docs/architecture', () => {
  it('is what the decider does (otherwise run `node tools/run-ts.js tools/docs/item-state-chart.ts`)', () => {
    expect(readFileSync(ITEM_STATES_DOC, 'utf8')).toBe(renderItemStatesDoc());
  });

  it('reaches every terminal status and never leaves one', () => {
    const transitions = exploreItemTransitions();
    const reached = new Set(transitions.map((t) => t.to));
    for (const status of ['expired', 'revoked', 'denied', 'cancelled', 'failed', 'active']) expect(reached).toContain(status);
    const terminal = ['expired', 'revoked', 'denied', 'cancelled', 'failed'];
    expect(transitions.filter((t) => terminal.includes(t.from))).toEqual([]);
  });
});
