import type { ProvisioningResultMessage } from '@kairos/contracts';
import type { Job } from './job';

/** A person resolved a ticket: who, and what they wrote (scrubbed of credentials). */
export interface Fulfilment {
  readonly fulfilledBy: string;
  readonly comment: string;
}

/**
 * `verified` is true only when the connector asked the target about exactly this access (identity
 * + role in that target) and found the state the result claims. A person's word (a ticket) and a
 * revocation that left the role for other grants (`retainedBy`) are never verified.
 */
export type JobResult =
  | { readonly kind: 'started'; readonly ticketId?: string }
  | { readonly kind: 'succeeded'; readonly verified: boolean; readonly retainedBy?: readonly string[]; readonly fulfilment?: Fulfilment }
  | { readonly kind: 'failed'; readonly reason: string; readonly final: boolean; readonly verified: boolean; readonly fulfilment?: Fulfilment };

const fulfilmentFields = (f: Fulfilment | undefined) => (f ? { fulfilledBy: f.fulfilledBy, comment: f.comment.slice(0, 2_000) } : {});

/** Scrubs credentials from text (the platform's one redaction, @kairos/observability redactSecrets). */
export type Redact = (text: string) => string;

/**
 * The message on provisioning.results for one attempt of one job, and its stable id. A failure's
 * reason passes through `redact`: connector errors may quote connection strings.
 */
export function resultMessage(job: Job, attempt: number, result: JobResult, at: Date, redact: Redact): { id: string; message: ProvisioningResultMessage } {
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
            ? { type: 'GrantSucceeded', data: { ...base, verified: result.verified, ...fulfilmentFields(result.fulfilment) } }
            : {
                type: 'RevokeSucceeded',
                data: {
                  ...base,
                  verified: result.verified,
                  ...(result.retainedBy && result.retainedBy.length > 0 ? { retainedBy: [...result.retainedBy] } : {}),
                  ...fulfilmentFields(result.fulfilment),
                },
              },
      };
    case 'failed': {
      const data = {
        ...base,
        reason: redact(result.reason).slice(0, 2_000),
        final: result.final,
        verified: result.verified,
        ...fulfilmentFields(result.fulfilment),
      };
      return { id: id('failed'), message: job.action === 'grant' ? { type: 'GrantFailed', data } : { type: 'RevokeFailed', data } };
    }
    default: {
      const exhaustive: never = result;
      return exhaustive;
    }
  }
}
