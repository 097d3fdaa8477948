import { randomUUID } from 'node:crypto';
import type { Clock } from '@kairos/clock';
import { jobFor } from './job-for';
import type { AccessRoleOf, JobLedger, RequestEvent, RequestStream } from './ports';

export type RecordOutcome = { readonly kind: 'ignored' } | { readonly kind: 'recorded' } | { readonly kind: 'duplicate' };

/**
 * An access-request event arrived: a GrantRequested or RevocationRequested the request's stream
 * confirms becomes a job; an AccessRequested keeps who asked, why and who may fulfil each item;
 * anything else is ignored. Runs in the consumer's transaction (the ledger is bound to it).
 */
export class RecordRequestedJob {
  constructor(
    private readonly stream: RequestStream,
    private readonly accessRoleOf: AccessRoleOf,
    private readonly clock: Clock,
    private readonly newId: () => string = randomUUID,
  ) {}

  async handle(event: RequestEvent, ledger: JobLedger): Promise<RecordOutcome> {
    await this.stream.confirm(event);
    const recordable = jobFor(event, this.accessRoleOf, this.newId);
    if (!recordable) return { kind: 'ignored' };
    return (await ledger.record(recordable, this.clock.now())) ? { kind: 'recorded' } : { kind: 'duplicate' };
  }
}
