export interface TimelineEntry {
  readonly revision: string;
  readonly eventId: string;
  readonly type: string;
  readonly status: 'recorded' | 'unknown' | 'malformed';
  readonly problem: string | null;
  readonly position: { readonly commit: string; readonly prepare: string };
  readonly recordedAt: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

import type { AccessSummaryRow, GrantInterval } from '../../domain/access-summary';

export type { GrantInterval };

/** A grant in an access summary, under the resource, person or requester group it is summarised by. */
export type SummaryRow = AccessSummaryRow;

export type SummaryKey = 'resources' | 'identities' | 'groups';

/** Counts of a summary, one row per resource, identity or group (camelCase columns). */
export type SummaryCounts = Record<string, unknown>;

/**
 * Reads of the audit read models (the postgres adapter: AuditQueries). Every time bound is a
 * parameter: nothing behind it reads the clock. A summary by group throws NoGroupDataError when no
 * recorded request carries the requester groups.
 */
export interface AuditReadModel {
  timeline(requestId: string): Promise<TimelineEntry[]>;
  activeGrants(): Promise<GrantInterval[]>;
  /** Grants whose interval [granted, revoked) contains `at`. */
  accessAt(resourceId: string, at: Date): Promise<GrantInterval[]>;
  /** Grants of `identityId` whose interval overlaps [from, to). */
  holdings(identityId: string, from: Date, to: Date): Promise<GrantInterval[]>;
  summaryRows(kind: SummaryKey, range?: { from: Date; to: Date }): Promise<SummaryRow[]>;
  resourceSummaries(): Promise<SummaryCounts[]>;
  identitySummaries(): Promise<SummaryCounts[]>;
  groupSummaries(): Promise<SummaryCounts[]>;
}

/** Events the projector could not store and skipped (the postgres adapter: PgParkedEvents). */
export interface ParkedEventList {
  count(): Promise<number>;
  list(page: { limit: number; offset: number }): Promise<readonly object[]>;
}
