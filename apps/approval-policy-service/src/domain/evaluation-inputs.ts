import type { PolicyContext } from '@kairos/approval-policy-domain';

/** What an evaluation reads from the catalogue and the directory, as of one moment. */
export type EvaluationInputs = Omit<PolicyContext, 'priorApprovals'>;

/** The catalogue and directory as they are now (the evaluation and the catalogue preview read them). */
export interface CurrentEvaluationInputs {
  current(): Promise<EvaluationInputs>;
}
