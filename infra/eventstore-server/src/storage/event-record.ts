/** One record of the log: a user event, a `$metadata` event or a tombstone. */
export interface EventRecord {
  /** Byte offset of the record in the log; commit and prepare positions are both this value. */
  readonly position: number;
  readonly stream: string;
  /** Ignored for tombstones, whose wire revision is TOMBSTONE_REVISION. */
  readonly revision: number;
  readonly tombstone: boolean;
  readonly id: string;
  readonly type: string;
  readonly isJson: boolean;
  readonly createdMs: number;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export type NewEvent = Omit<EventRecord, 'position' | 'revision' | 'tombstone' | 'createdMs' | 'stream'>;

export const TOMBSTONE_REVISION = '9223372036854775807';
export const STREAM_DELETED_TYPE = '$streamDeleted';
export const METADATA_TYPE = '$metadata';

export function wireRevision(record: EventRecord): string {
  return record.tombstone ? TOMBSTONE_REVISION : String(record.revision);
}

export function metastreamOf(stream: string): string {
  return `$$${stream}`;
}

export function isMetastream(stream: string): boolean {
  return stream.startsWith('$$');
}
