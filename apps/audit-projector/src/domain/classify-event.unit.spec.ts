import { classifyEvent } from './classify-event';

describe('classifying a recorded event', () => {
  it('accepts an event that matches its contract', () => {
    const data = { requestId: 'r', itemId: 'i', approvalExpiresAt: '2025-03-02T00:00:00Z', expiredAt: '2025-03-02T00:00:00Z' };
    expect(classifyEvent('ApprovalExpired', data, { schemaVersion: 1 })).toMatchObject({ status: 'recorded', event: { type: 'ApprovalExpired', data } });
  });

  it('records an unknown type as unknown', () => {
    expect(classifyEvent('Whatever', {}, undefined)).toEqual({ status: 'unknown', problem: "unknown event type 'Whatever'" });
  });

  it('records bad data or an impossible version as malformed, never throwing', () => {
    expect(classifyEvent('ItemCancelled', { requestId: 1 }, undefined).status).toBe('malformed');
    expect(classifyEvent('ItemCancelled', null, undefined).status).toBe('malformed');
    expect(classifyEvent('ItemCancelled', {}, { schemaVersion: 0 }).status).toBe('malformed');
  });
});
