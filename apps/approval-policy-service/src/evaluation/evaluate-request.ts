import { Inject, Injectable } from '@nestjs/common';
import { evaluate, type Evaluation, type EvaluationInput } from '@kairos/approval-policy-domain';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { DirectoryRepository } from '../directory/directory.repository';
import { RequestViewsRepository } from '../read-model/request-views.repository';
import { CLOCK, type Clock } from '../shared/clock';

/** Evaluates a submission against today's catalogue, directory and the requester's prior approvals. */
@Injectable()
export class EvaluateRequest {
  constructor(
    private readonly catalogue: CatalogueRepository,
    private readonly directory: DirectoryRepository,
    private readonly views: RequestViewsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(input: Omit<EvaluationInput, 'now'>): Promise<Evaluation> {
    const now = this.clock.now();
    // One transaction so the policy version matches the catalogue it was read with.
    const context = await this.directory.transaction(async (tx) => ({
      resources: await this.catalogue.resources(tx),
      tiers: await this.catalogue.tiers(tx),
      policyVersion: await this.catalogue.policyVersion(tx),
      directory: await this.directory.directory(tx),
    }));
    const priorApprovals = await this.views.priorApprovals(input.requester, now);
    return evaluate({ ...input, now: now.toISOString() }, { ...context, priorApprovals });
  }
}
