import { describeProblem } from '../../domain/stream-verification';
import type { VerificationReport } from './verify-streams';

export function formatVerification(report: VerificationReport): string {
  const lines = [`verified ${report.streams} stream(s), ${report.checkedEvents} event(s) against the recorded hash chain; ${report.unseenEvents} not yet seen by the projector`];
  if (report.parkedEvents > 0) {
    lines.push(`WARNING: ${report.parkedEvents} event(s) parked by the projector (not stored in the read models; GET /v1/audit/parked lists them)`);
  } else {
    lines.push('0 events parked by the projector');
  }
  for (const failed of report.failed) {
    lines.push(`FAILED ${failed.stream}`);
    for (const problem of failed.problems) lines.push(`  - ${problem.kind}: ${describeProblem(problem)}`);
  }
  lines.push(report.ok ? `OK: all ${report.intact} stream(s) intact` : `NOT OK: ${report.failed.length} stream(s) failed`);
  return lines.join('\n');
}
