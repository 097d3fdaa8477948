import { accessRequestEventCatalogue } from './access-request-events.catalogue';
import { createUpcaster, upcast, UpcastError } from './upcasting';

describe('upcasting recorded events', () => {
  // A synthetic history: v0 called the reviewer "approver" and had no decision; v1 is today's shape.
  const upcastReview = createUpcaster(
    {
      ReviewRecorded: {
        0: (data) => {
          const { approver, ...rest } = data as { approver: string } & Record<string, unknown>;
          return { ...rest, reviewerId: approver, decision: 'approve' };
        },
      },
    },
    { ReviewRecorded: 1 },
  );

  describe('when an event was recorded in an older version', () => {
    it('brings it to the current shape', () => {
      const recorded = {
        type: 'ReviewRecorded',
        data: { reviewId: 'rv-1', approver: 'u-bob' },
        metadata: { schemaVersion: 0 },
      };
      expect(upcastReview(recorded)).toEqual({
        type: 'ReviewRecorded',
        data: { reviewId: 'rv-1', reviewerId: 'u-bob', decision: 'approve' },
      });
    });
  });

  describe('when an event is already current', () => {
    it('leaves it untouched, treating a missing version as version 1', () => {
      const recorded = { type: 'ReviewRecorded', data: { reviewId: 'rv-1', reviewerId: 'u-bob' } };
      expect(upcastReview(recorded)).toEqual({ type: 'ReviewRecorded', data: recorded.data });
    });
  });

  describe('when a version has no upcaster', () => {
    it('fails loudly instead of handing an old shape to the decider', () => {
      expect(() => upcastReview({ type: 'ReviewRecorded', data: {}, metadata: { schemaVersion: -1 } })).toThrow(
        UpcastError,
      );
    });
  });

  it('upcasts every event of the request stream at its current version as is', () => {
    for (const [type, entry] of Object.entries(accessRequestEventCatalogue)) {
      const data = { marker: type };
      expect(upcast({ type, data, metadata: { schemaVersion: entry.version } })).toEqual({ type, data });
    }
  });

  it('refuses an event type that is not part of the request stream', () => {
    expect(() => upcast({ type: 'SomethingElse', data: {} })).toThrow(UpcastError);
  });
});
