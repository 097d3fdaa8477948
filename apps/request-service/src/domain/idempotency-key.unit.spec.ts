import { Refusal } from '@kairos/refusal';
import { bodyHash, checkIdempotencyKey, idempotencyHorizon } from './idempotency-key';

describe('idempotency keys of submissions', () => {
  it.each([['a'], ['0b7c0f8e-3a6d-4c2b-9e1f-5a4d3c2b1a09'], ['~!key:with/punctuation'], ['x'.repeat(255)]])('accepts %s', (key) => {
    expect(() => checkIdempotencyKey(key)).not.toThrow();
  });

  it.each([[''], ['has space'], ['tab\there'], ['x'.repeat(256)], ['clé'], ['line\nbreak']])('refuses %j as invalid input', (key) => {
    let refused: unknown;
    try {
      checkIdempotencyKey(key);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(Refusal);
    expect(refused).toMatchObject({ kind: 'invalid', code: 'IDEMPOTENCY_KEY_INVALID' });
  });

  it('hashes the same intent the same whatever the order of its keys or its absent fields', () => {
    const body = { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'INC-1', duration: 'PT1H' };
    const reordered = { duration: 'PT1H', justification: 'INC-1', ticket: undefined, items: [{ role: 'readonly', resourceId: 'orders-db' }] };
    expect(bodyHash(reordered)).toBe(bodyHash(body));
    expect(bodyHash(body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes another intent differently, item order included', () => {
    const body = { items: [{ resourceId: 'a', role: 'r' }, { resourceId: 'b', role: 'r' }], justification: 'INC-1' };
    expect(bodyHash({ ...body, justification: 'INC-2' })).not.toBe(bodyHash(body));
    expect(bodyHash({ ...body, items: [...body.items].reverse() })).not.toBe(bodyHash(body));
  });

  it('forgets keys 24 hours old', () => {
    expect(idempotencyHorizon(new Date('2026-03-02T10:00:00.000Z')).toISOString()).toBe('2026-03-01T10:00:00.000Z');
  });
});
