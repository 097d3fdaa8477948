import { DirectoryIndex, evaluate, type Directory, type Evaluation, type EvaluationInput } from '@kairos/approval-policy-domain';
import type { Clock } from '@kairos/clock';
import type { CurrentEvaluationInputs } from '../../domain/evaluation-inputs';
import type { PriorApprovals } from './ports';

/** The requester as the directory knows them at evaluation, recorded with the request as a snapshot. */
export interface EvaluatedRequester {
  readonly id: string;
  readonly kind: 'person' | 'service';
  readonly groups: readonly string[];
}

export type RequestEvaluation =
  | (Extract<Evaluation, { ok: true }> & { readonly requester: EvaluatedRequester })
  | Extract<Evaluation, { ok: false }>;

/** Sorted, so the recorded snapshot does not depend on the order the directory listed them in. */
function requesterIn(directory: Directory, id: string): EvaluatedRequester | undefined {
  const index = DirectoryIndex.of(directory);
  const identity = index.identity(id);
  return identity && { id: identity.id, kind: identity.kind, groups: [...index.groupsOf(id)].sort() };
}

/** Evaluates a submission against today's catalogue, directory and the requester's prior approvals. */
export class EvaluateRequest {
  constructor(
    private readonly inputs: CurrentEvaluationInputs,
    private readonly views: PriorApprovals,
    private readonly clock: Clock,
  ) {}

  async execute(input: Omit<EvaluationInput, 'now'>): Promise<RequestEvaluation> {
    const now = this.clock.now();
    const context = await this.inputs.current();
    const priorApprovals = await this.views.priorApprovals(input.requester, now);
    const evaluation = evaluate({ ...input, now: now.toISOString() }, { ...context, priorApprovals });
    if (!evaluation.ok) return evaluation;
    const requester = requesterIn(context.directory, input.requester);
    // evaluate() refuses a requester the directory does not know, so this cannot happen.
    if (!requester) throw new Error(`requester ${input.requester} vanished from the directory snapshot`);
    return { ...evaluation, requester };
  }
}
