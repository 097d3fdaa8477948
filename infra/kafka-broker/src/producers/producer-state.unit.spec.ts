import { ProducerStates } from './producer-state';

describe('producer sequence checks', () => {
  const states = () => {
    const s = new ProducerStates();
    s.record(7, 0, 0, 3, 100);
    return s;
  };

  it('accepts the next sequence', () => expect(states().check(7, 0, 3, 1)).toEqual({ kind: 'append' }));
  it('answers a retried batch with its original offset', () => expect(states().check(7, 0, 0, 3)).toEqual({ kind: 'duplicate', baseOffset: 100 }));
  it('rejects a gap', () => expect(states().check(7, 0, 5, 1)).toEqual({ kind: 'error', error: 45 }));
  it('rejects a fenced epoch', () => {
    const s = states();
    s.record(7, 1, 0, 1, 103);
    expect(s.check(7, 0, 1, 1)).toEqual({ kind: 'error', error: 47 });
  });
  it('lets a new epoch start at zero only', () => {
    expect(states().check(7, 1, 0, 1)).toEqual({ kind: 'append' });
    expect(states().check(7, 1, 4, 1)).toEqual({ kind: 'error', error: 45 });
  });
  it('does not know a producer that starts mid-sequence', () => expect(states().check(8, 0, 2, 1)).toEqual({ kind: 'error', error: 59 }));
  it('skips checks for non-idempotent producers', () => expect(states().check(-1, 0, 0, 1)).toEqual({ kind: 'append' }));
});
