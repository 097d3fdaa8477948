import type { ProvisioningResultMessage } from '@kairos/contracts';
import type { Job } from './job';

export type JobResult =
  | { readonly kind: 'started'; readonly ticketId?: string }
  | { readonly kind: 'succeeded'; readonly verified: boolean }
  | { readonly kind: 'failed'; readonly reason: string; readonly final: boolean; readonly verified: boolean };

/** The message on provisioning.results for one attempt of one job, and its stable id. */
export function resultMessage(job: Job, attempt: number, result: JobResult, at: Date): { id: string; message: ProvisioningResultMessage } {
  const base = { requestId: job.requestId, itemId: job.itemId, grantId: job.grantId, attempt: Math.max(1, attempt), at: at.toISOString() };
  const id = (suffix: string) => `provisioning:${job.id}:${suffix}:${Math.max(1, attempt)}`;
  switch (result.kind) {
    case 'started':
      return {
        id: id('started'),
        message: { type: 'ProvisioningStarted', data: { ...base, ...(result.ticketId ? { ticketId: result.ticketId } : {}) } },
      };
    case 'succeeded':
      return {
        id: id('succeeded'),
        message:
          job.action === 'grant'
            ? { type: 'GrantSucceeded', data: { ...base, verified: result.verified } }
            : { type: 'RevokeSucceeded', data: { ...base, verified: result.verified } },
      };
    case 'failed': {
      const data = { ...base, reason: result.reason.slice(0, 2_000), final: result.final, verified: result.verified };
      return { id: id('failed'), message: job.action === 'grant' ? { type: 'GrantFailed', data } : { type: 'RevokeFailed', data } };
    }
    default: {
      const exhaustive: never = result;
      return exhaustive;
    }
  }
}
