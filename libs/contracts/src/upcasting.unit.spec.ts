import { accessRequestEventCatalogue } from './access-request-events.catalogue';
import { createUpcaster, currentSchemaVersion, eventMetadataFor, readPublishedEvent, readRecordedEvent, RecordedEventError, registerUpcasterForTests, upcast, UpcastError } from './upcasting';

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

describe('reading a recorded request-stream event', () => {
  const data = { requestId: 'r-1', itemId: 'i-1', approvedAt: '2025-01-01T00:00:00.000Z' };

  it('treats an event without a version in its metadata as version 1, and keeps its metadata', () => {
    const read = readRecordedEvent({ type: 'ItemApproved', data, metadata: { correlationId: 'c-1' } });
    expect(read).toMatchObject({ type: 'ItemApproved', data, recordedVersion: 1, metadata: { correlationId: 'c-1' } });
    expect(readRecordedEvent({ type: 'ItemApproved', data }).recordedVersion).toBe(1);
  });

  it('refuses metadata whose schemaVersion is not a version number', () => {
    expect(() => readRecordedEvent({ type: 'ItemApproved', data, metadata: { schemaVersion: 'two' } })).toThrow(RecordedEventError);
  });

  describe('when a test registers a newer version of an event', () => {
    let undo: () => void;
    beforeEach(() => {
      undo = registerUpcasterForTests('ItemApproved', (d) => {
        const { note, ...rest } = d as { note?: string } & Record<string, unknown>;
        return note === undefined ? rest : { ...rest, via: note };
      });
    });
    afterEach(() => undo());

    it('upcasts older events, writes the new version, and undoes cleanly', () => {
      expect(currentSchemaVersion('ItemApproved')).toBe(accessRequestEventCatalogue.ItemApproved.version + 1);
      expect(eventMetadataFor('ItemApproved')).toEqual({ schemaVersion: accessRequestEventCatalogue.ItemApproved.version + 1 });
      expect(readRecordedEvent({ type: 'ItemApproved', data: { ...data, note: 'policy' } }).data).toEqual({ ...data, via: 'policy' });
      const current = { ...data, via: 'reviews' };
      expect(readRecordedEvent({ type: 'ItemApproved', data: current, metadata: eventMetadataFor('ItemApproved') }).data).toEqual(current);
      expect(readPublishedEvent({ type: 'ItemApproved', data: current }).data).toEqual(current);
      expect(readPublishedEvent({ type: 'ItemApproved', data: { ...data, note: 'policy' }, dataschema: 'urn:kairos:schema:ItemApproved:v1' }).data).toEqual({ ...data, via: 'policy' });
    });
  });

  it('refuses a dataschema that names another event', () => {
    expect(() => readPublishedEvent({ type: 'ItemApproved', data, dataschema: 'urn:kairos:schema:ItemDenied:v1' })).toThrow(RecordedEventError);
  });
});
