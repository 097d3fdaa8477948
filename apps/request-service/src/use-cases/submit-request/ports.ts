import type { IsoDuration, ItemPolicySnapshot, Subject } from '@kairos/contracts';

export interface EvaluationRequest {
  readonly requester: Subject;
  readonly items: readonly { itemId: string; resourceId: string; role: string }[];
  readonly duration?: IsoDuration;
  readonly justification: string;
  readonly breakGlass: boolean;
}

export interface EvaluatedItem {
  readonly itemId: string;
  readonly duration: IsoDuration;
  readonly policy: ItemPolicySnapshot;
}

export interface PolicyEvaluation {
  readonly items: EvaluatedItem[];
  /** The requester's directory groups at evaluation; absent when the policy service does not say. */
  readonly requesterGroups?: readonly string[];
}

/**
 * The approval-policy service, asked synchronously at submission with the caller's own token. A
 * request policy refuses, or the service being away, comes back as a Refusal.
 */
export interface PolicyEvaluator {
  evaluate(request: EvaluationRequest, bearerToken: string): Promise<PolicyEvaluation>;
}

export interface KeyBinding {
  readonly principalId: string;
  readonly key: string;
  /** The request id the key names if it is new. */
  readonly requestId: string;
  readonly bodyHash: string;
  readonly now: Date;
  /** A binding created before this is forgotten first. */
  readonly forgetBefore: Date;
}

/** Idempotency keys of submissions, per caller (PostgreSQL). */
export interface IdempotencyKeyStore {
  /**
   * Binds the caller's key to a request id unless it is bound already, and returns the binding in
   * force (`replay` when it was there before); undefined when it vanished under a concurrent call.
   */
  reserve(binding: KeyBinding): Promise<{ readonly requestId: string; readonly bodyHash: string; readonly replay: boolean } | undefined>;
}
