import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { compareDurations, isAccessRequestError, toView, type AccessRequestCommand, type AccessRequestView, type CommandMetadata } from '@kairos/access-request-domain';
import { hasRole, type Principal } from '@kairos/auth';
import { refuse } from '@kairos/refusal';
import { currentCorrelationId } from '@kairos/observability';
import { RequestProjection } from '../../adapters/eventstore/request-projection';
import { CLOCK, type Clock } from '@kairos/clock';
import { AccessRequestStore } from '../../adapters/eventstore/access-request.store';
import { IdempotencyKeys } from '../../adapters/postgres/idempotency-keys';
import { PolicyClient } from '../../adapters/policy/policy.client';
import { AccessRequestQueries, type HistoryEntry, type ListFilter } from '../../adapters/postgres/access-requests.queries';

export interface SubmitInput {
  readonly items: readonly { resourceId: string; role: string }[];
  readonly justification: string;
  readonly duration?: string;
  readonly ticket?: string;
  readonly breakGlass?: boolean;
  readonly onBehalfOf?: string;
  readonly onBehalfOfKind?: 'person' | 'service';
}

const forbidden = (detail: string) => refuse.forbidden('FORBIDDEN', detail);
const notFound = () => refuse.notFound('ACCESS_REQUEST.NOT_FOUND', 'there is no such access request');

/** Sees every request: admins, and auditors (read-only). */
const seesAll = (p: Principal) => hasRole(p, 'admin', 'auditor');
const ownsRequest = (p: Principal, view: AccessRequestView) => view.requester.id === p.id || view.requestedBy === p.id;

@Injectable()
export class AccessRequestUseCases {
  constructor(
    private readonly store: AccessRequestStore,
    private readonly policy: PolicyClient,
    private readonly queries: AccessRequestQueries,
    private readonly projection: RequestProjection,
    private readonly idempotency: IdempotencyKeys,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * With an `Idempotency-Key`, a retry of the same body returns the same request (`replayed`), a
   * different body with the same key is refused, and nothing is ever submitted twice.
   */
  async submit(principal: Principal, input: SubmitInput, idempotencyKey?: string): Promise<AccessRequestView & { replayed?: boolean }> {
    if (idempotencyKey === undefined) return this.submitAs(principal, input, randomUUID());
    const { requestId } = await this.idempotency.reserve(principal.id, idempotencyKey, input, this.clock.now());
    const existing = await this.store.load(requestId);
    if (existing.revision !== 'no_stream') return { ...this.viewOf(existing.state), replayed: true };
    try {
      return await this.submitAs(principal, input, requestId);
    } catch (error) {
      // A concurrent retry with the same key appended it first: the same intent, already done.
      if (isAccessRequestError(error) && error.code === 'ACCESS_REQUEST.ALREADY_EXISTS') {
        return { ...this.viewOf((await this.store.load(requestId)).state), replayed: true };
      }
      throw error;
    }
  }

  private viewOf(state: Parameters<typeof toView>[0]): AccessRequestView {
    const view = toView(state);
    if (!view) throw notFound();
    return view;
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
    const result = await this.store.execute(requestId, {
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
      metadata: this.metadata(principal),
    });
    const view = toView(result.state);
    if (!view) throw new Error('submission produced no request');
    return view;
  }

  async get(principal: Principal, requestId: string): Promise<AccessRequestView & { history: HistoryEntry[] }> {
    const found = await this.readable(principal, requestId);
    return { ...found, history: await this.queries.history(requestId) };
  }

  async list(principal: Principal, filter: ListFilter): Promise<{ items: AccessRequestView[]; total: number; limit: number; offset: number }> {
    if (!seesAll(principal)) {
      if (filter.requester && filter.requester !== principal.id) throw forbidden("requesters may list only their own requests");
      filter = { ...filter, requester: principal.id };
    }
    return { ...(await this.queries.list(filter)), limit: filter.limit, offset: filter.offset };
  }

  async act(principal: Principal, requestId: string, command: (metadata: CommandMetadata) => AccessRequestCommand): Promise<AccessRequestView> {
    // The decider is the authority on who may change a request; this only keeps auditors read-only.
    if (!hasRole(principal, 'requester', 'admin')) throw forbidden('this operation needs the requester or admin role');
    const result = await this.store.execute(requestId, command(this.metadata(principal)));
    const view = toView(result.state);
    if (!view) throw notFound();
    return view;
  }

  private async readable(principal: Principal, requestId: string): Promise<AccessRequestView> {
    let found = await this.queries.find(requestId);
    if (!found) {
      // Read-your-writes: a request just created may not have reached the read model yet.
      const { revision } = await this.store.load(requestId);
      if (revision === 'no_stream') throw notFound();
      if (await this.projection.isParked(requestId)) {
        throw refuse.unprocessable('ACCESS_REQUEST.UNREADABLE', 'the request exists but its events could not be stored in the read model (they are parked for an operator); retrying will not help');
      }
      await this.projection.waitFor(requestId, revision);
      found = await this.queries.find(requestId);
      if (!found) throw refuse.unavailable('READ_MODEL_BEHIND', 'the request exists but is not readable yet; retry shortly');
    }
    if (!seesAll(principal) && !ownsRequest(principal, found.view)) throw forbidden('requesters may read only their own requests');
    return found.view;
  }

  private metadata(principal: Principal): CommandMetadata {
    return {
      now: this.clock.now().toISOString(),
      actor: { id: principal.id, roles: [...principal.roles] },
      correlationId: currentCorrelationId(),
    };
  }
}

function shortest(durations: string[], from: string): string {
  return durations.reduce((a, b) => (compareDurations(b, a, from) < 0 ? b : a));
}
