import type { Clock } from '@kairos/clock';
import type { AuditReadModel, SummaryCounts, SummaryKey, SummaryRow } from '../query-audit/ports';

export interface AccessSummary {
  readonly kind: SummaryKey;
  readonly from?: string;
  readonly to?: string;
  readonly generatedAt: string;
  readonly resources?: SummaryCounts[];
  readonly identities?: SummaryCounts[];
  readonly groups?: SummaryCounts[];
  readonly rows: SummaryRow[];
}

/**
 * Who had what, when, per resource, identity or requester group, for [from, to) or all time: the
 * rows, and (unless only the rows are asked for, as a CSV download does) the counts. Throws
 * NoGroupDataError (domain) for groups when no recorded request carries them.
 */
export class SummarizeAccess {
  constructor(
    private readonly readModel: AuditReadModel,
    private readonly clock: Clock,
  ) {}

  async run(kind: SummaryKey, window: { from: Date; to: Date } | undefined, options: { rowsOnly?: boolean } = {}): Promise<AccessSummary> {
    const rows = await this.readModel.summaryRows(kind, window);
    const generatedAt = this.clock.now().toISOString();
    return {
      kind,
      ...(window ? { from: window.from.toISOString(), to: window.to.toISOString() } : {}),
      generatedAt,
      ...(options.rowsOnly ? {} : await this.counts(kind)),
      rows,
    };
  }

  private async counts(kind: SummaryKey): Promise<Pick<AccessSummary, 'resources' | 'identities' | 'groups'>> {
    switch (kind) {
      case 'resources':
        return { resources: await this.readModel.resourceSummaries() };
      case 'identities':
        return { identities: await this.readModel.identitySummaries() };
      case 'groups':
        return { groups: await this.readModel.groupSummaries() };
      default: {
        const exhaustive: never = kind;
        return exhaustive;
      }
    }
  }
}
