import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { InboxContext } from '@kairos/messaging';
import { RecordRequestedJob } from '../../use-cases/record-requested-job/record-requested-job';
import { JobsRepository } from '../postgres/jobs.repository';

/**
 * The consumer of access-request.events (over the Kafka inbox transport): a grant or revocation its
 * request's stream confirms becomes a job, an AccessRequested keeps who asked and who may fulfil;
 * each in the message's inbox transaction. Every other type of the topic is acknowledged with no
 * effect. Errors reach the runtime as thrown: an unreadable request stream is retried in place, a
 * grant the stream never asked for is dead-lettered (see ProvisioningRuntime).
 */
@Controller()
export class AccessRequestEventsController {
  constructor(
    private readonly recordJob: RecordRequestedJob,
    private readonly jobs: JobsRepository,
  ) {}

  @EventPattern('AccessRequested')
  async accessRequested(@Ctx() context: InboxContext): Promise<void> {
    await this.record(context);
  }

  @EventPattern('GrantRequested')
  async grantRequested(@Ctx() context: InboxContext): Promise<void> {
    await this.record(context);
  }

  @EventPattern('RevocationRequested')
  async revocationRequested(@Ctx() context: InboxContext): Promise<void> {
    await this.record(context);
  }

  private async record(context: InboxContext): Promise<void> {
    const tx = context.transaction;
    await this.recordJob.handle(context.message, { record: (recordable, now) => this.jobs.record(tx, recordable, now) });
  }
}
