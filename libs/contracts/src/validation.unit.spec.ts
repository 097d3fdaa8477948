import { validateEvent, validateMessage } from './validation';

const granted = {
  requestId: '6d1c7a52-3f3e-4c55-9d0b-4f6c1f1d2a10',
  itemId: 'db',
  grantId: '6d1c7a52-3f3e-4c55-9d0b-4f6c1f1d2a10:db:1',
  subject: { id: 'u-alice', kind: 'person' },
  resourceId: 'res-orders-db',
  role: 'read',
  breakGlass: false,
  verified: true,
  grantedAt: '2025-03-01T10:00:00.000Z',
  expiresAt: '2025-03-01T12:00:00.000Z',
};

describe('validateEvent', () => {
  it('accepts an event that matches its schema and types the result', () => {
    const result = validateEvent('AccessGranted', granted);
    expect(result).toEqual({ ok: true, value: granted });
  });

  it('lists every error with its path', () => {
    const result = validateEvent('AccessGranted', { ...granted, expiresAt: 'tomorrow', verified: 'yes' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path).sort()).toEqual(['/expiresAt', '/verified']);
  });

  it('refuses an unknown event type', () => {
    expect(validateEvent('AccessGrantedd', granted)).toEqual({
      ok: false,
      errors: [{ path: '', message: "unknown event type 'AccessGrantedd'" }],
    });
  });

  it('tolerates unknown properties for consumers but not for producers', () => {
    expect(validateEvent('AccessGranted', { ...granted, extra: 1 }).ok).toBe(true);
    const closed = validateEvent('AccessGranted', { ...granted, extra: 1 }, { closed: true });
    expect(closed).toEqual({ ok: false, errors: [{ path: '', message: "unknown property 'extra'" }] });
  });

  it('refuses a malformed ISO 8601 duration', () => {
    const ok = validateEvent('ItemApproved', {
      requestId: 'r',
      itemId: 'i',
      via: 'automatic',
      duration: 'PT1H30M',
      approvalExpiresAt: '2025-03-01T10:00:00Z',
      approvedAt: '2025-03-01T10:00:00Z',
    });
    expect(ok.ok).toBe(true);
    for (const duration of ['1h', 'P', 'PT', 'P1H']) {
      const bad = validateEvent('ItemApproved', {
        requestId: 'r',
        itemId: 'i',
        via: 'automatic',
        duration,
        approvalExpiresAt: '2025-03-01T10:00:00Z',
        approvedAt: '2025-03-01T10:00:00Z',
      });
      expect(bad.ok).toBe(false);
    }
  });
});

describe('validateMessage', () => {
  it('returns the typed message of an internal topic', () => {
    const data = {
      timerId: 't-1',
      requestId: 'r',
      itemId: 'i',
      grantId: 'g',
      kind: 'access_expiry',
      dueAt: '2025-03-01T12:00:00Z',
      firedAt: '2025-03-01T12:00:00.120Z',
    };
    const result = validateMessage('expiry.events', 'TimerFired', data);
    expect(result).toEqual({ ok: true, value: { type: 'TimerFired', data } });
  });

  it('refuses a review whose decision is not approve or deny', () => {
    const result = validateMessage('approval.decisions', 'ReviewSubmitted', {
      requestId: 'r',
      itemId: 'i',
      reviewId: 'rv',
      reviewerId: 'u-bob',
      decision: 'maybe',
      submittedAt: '2025-03-01T10:00:00Z',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.path).toBe('/decision');
  });

  it('refuses a message type that belongs to another topic', () => {
    const result = validateMessage('provisioning.results', 'TimerFired', {});
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '', message: "unknown message type 'TimerFired' on 'provisioning.results'" }],
    });
  });

  it('requires final and reason on failures', () => {
    const result = validateMessage('provisioning.results', 'GrantFailed', {
      requestId: 'r',
      itemId: 'i',
      grantId: 'g',
      attempt: 1,
      verified: false,
      at: '2025-03-01T10:00:00Z',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.message).join()).toMatch(/reason.*final|final.*reason/s);
  });
});
