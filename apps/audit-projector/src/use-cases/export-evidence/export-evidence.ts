import type { Clock } from '@kairos/clock';
import { EVIDENCE_CONTROLS, type EvidenceExport, type EvidenceRecord } from '../../domain/evidence';

/** The evidence of the requests submitted in [from, to) (the postgres adapter: AuditQueries). */
export interface EvidenceSource {
  evidence(from: Date, to: Date): Promise<EvidenceRecord[]>;
}

/**
 * Evidence export for requests submitted in [from, to): who, what, why, approvals, grant and
 * revocation, with the controls it serves (SOC 2 CC6, ISO 27001 A.5.18).
 */
export class ExportEvidence {
  constructor(
    private readonly source: EvidenceSource,
    private readonly clock: Clock,
  ) {}

  async run(from: Date, to: Date): Promise<EvidenceExport> {
    const records = await this.source.evidence(from, to);
    return { from: from.toISOString(), to: to.toISOString(), generatedAt: this.clock.now().toISOString(), controls: EVIDENCE_CONTROLS, records };
  }
}
