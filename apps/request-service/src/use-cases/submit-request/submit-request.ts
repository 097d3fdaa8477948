import { randomUUID } from 'node:crypto';
import { compareDurations, isAccessRequestError, toView, type AccessRequestState, type AccessRequestView } from '@kairos/access-request-domain';
import { hasRole, type Principal } from '@kairos/auth';
import type { Clock } from '@kairos/clock';
import { refuse } from '@kairos/refusal';
import { commandMetadata, forbidden, notFound } from '../../domain/access';
import { bodyHash, checkIdempotencyKey, idempotencyHorizon } from '../../domain/idempotency-key';
import type { CorrelationIds, RequestStreams } from '../../domain/ports';
import type { IdempotencyKeyStore, PolicyEvaluator } from './ports';

export interface SubmitInput {
  readonly items: readonly { resourceId: string; role: string }[];
  readonly justification: string;
  readonly duration?: string;
  readonly ticket?: string;
  readonly breakGlass?: boolean;
  readonly onBehalfOf?: string;
  readonly onBehalfOfKind?: 'person' | 'service';
}

export type Submitted = AccessRequestView & { replayed?: boolean };

/**
 * A requester (or an admin, on behalf of someone) asks for access: policy is evaluated first, so a
 * request it refuses is never appended; the request id is minted here. With an `Idempotency-Key`,
 * a retry of the same body returns the same request (`replayed`), a different body with the same
 * key is refused, and nothing is ever submitted twice: the key is bound to the request id in
 * PostgreSQL before the request is appended, so whatever is lost afterwards (the append's reply,
 * the HTTP reply, the process), a retry finds the same id and either finds the request already on
 * its stream or appends it then.
 */
export class SubmitRequest {
  constructor(
    private readonly streams: RequestStreams,
    private readonly policy: PolicyEvaluator,
    private readonly keys: IdempotencyKeyStore,
    private readonly clock: Clock,
    private readonly correlation: CorrelationIds,
  ) {}

  async execute(principal: Principal, input: SubmitInput, idempotencyKey?: string): Promise<Submitted> {
    if (idempotencyKey === undefined) return this.submitAs(principal, input, randomUUID());
    const requestId = await this.reserve(principal, idempotencyKey, input);
    const existing = await this.streams.load(requestId);
    if (existing.revision !== 'no_stream') return { ...viewOf(existing.state), replayed: true };
    try {
      return await this.submitAs(principal, input, requestId);
    } catch (error) {
      // A concurrent retry with the same key appended it first: the same intent, already done.
      if (isAccessRequestError(error) && error.code === 'ACCESS_REQUEST.ALREADY_EXISTS') {
        return { ...viewOf((await this.streams.load(requestId)).state), replayed: true };
      }
      throw error;
    }
  }

  /** The request id the caller's key names: a new one for a new key, the first one for a retry. */
  private async reserve(principal: Principal, key: string, input: SubmitInput): Promise<string> {
    checkIdempotencyKey(key);
    const hash = bodyHash(input);
    const now = this.clock.now();
    const binding = await this.keys.reserve({ principalId: principal.id, key, requestId: randomUUID(), bodyHash: hash, now, forgetBefore: idempotencyHorizon(now) });
    if (!binding) throw refuse.conflict('IDEMPOTENCY_KEY_RACE', 'the idempotency key changed under a concurrent call; retry');
    if (binding.bodyHash !== hash) {
      throw refuse.unprocessable('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request body');
    }
    return binding.requestId;
  }

  private async submitAs(principal: Principal, input: SubmitInput, requestId: string): Promise<AccessRequestView> {
    const onBehalf = input.onBehalfOf !== undefined && input.onBehalfOf !== principal.id;
    if (onBehalf && !hasRole(principal, 'admin')) throw forbidden('only admins may request access on behalf of another identity');
    if (!hasRole(principal, 'requester', 'admin')) throw forbidden('this operation needs the requester role');
    const requester = onBehalf ? { id: input.onBehalfOf!, kind: input.onBehalfOfKind ?? 'person' } : { id: principal.id, kind: principal.kind };
    const items = input.items.map((item, index) => ({ itemId: `i${index + 1}`, resourceId: item.resourceId, role: item.role }));
    const { items: evaluated, requesterGroups } = await this.policy.evaluate(
      { requester, items, duration: input.duration, justification: input.justification, breakGlass: input.breakGlass ?? false },
      principal.token,
    );
    const policyOf = new Map(evaluated.map((e) => [e.itemId, e]));
    const duration = input.duration ?? shortest(evaluated.map((e) => e.duration), this.clock.now().toISOString());
    const result = await this.streams.execute(requestId, {
      type: 'SubmitAccessRequest',
      data: {
        requestId,
        requester,
        ...(requesterGroups ? { requesterGroups } : {}),
        items: items.map((item) => ({ ...item, policy: policyOf.get(item.itemId)!.policy })),
        justification: input.justification,
        duration,
        ...(input.ticket ? { ticket: input.ticket } : {}),
        breakGlass: input.breakGlass ?? false,
      },
      metadata: commandMetadata(principal, this.clock.now(), this.correlation.current()),
    });
    const view = toView(result.state);
    if (!view) throw new Error('submission produced no request');
    return view;
  }
}

function viewOf(state: AccessRequestState): AccessRequestView {
  const view = toView(state);
  if (!view) throw notFound();
  return view;
}

function shortest(durations: string[], from: string): string {
  return durations.reduce((a, b) => (compareDurations(b, a, from) < 0 ? b : a));
}
