import { toView, type AccessRequestCommand, type AccessRequestView, type CommandMetadata } from '@kairos/access-request-domain';
import { hasRole, type Principal } from '@kairos/auth';
import type { Clock } from '@kairos/clock';
import { commandMetadata, forbidden, notFound } from '../../domain/access';
import type { CorrelationIds, RequestStreams } from '../../domain/ports';

export interface CancelInput {
  /** Items to cancel; every cancellable item when omitted. */
  readonly itemIds?: string[];
  readonly reason?: string;
}

export interface ExtendInput {
  readonly itemId: string;
  /** How much to add to the current expiry… */
  readonly by?: string;
  /** …or the new expiry instant. */
  readonly extendTo?: string;
}

export interface ItemInput {
  readonly itemId: string;
}

export interface RevokeInput extends ItemInput {
  readonly reason?: string;
}

/**
 * A person acts on an existing request: its requester cancels it, extends or releases their
 * access; an admin revokes it. The decider on the request's stream decides whether the act is
 * allowed in the request's state; the new view of the request is returned.
 */
export class ActOnRequest {
  constructor(
    private readonly streams: RequestStreams,
    private readonly clock: Clock,
    private readonly correlation: CorrelationIds,
  ) {}

  cancel(principal: Principal, requestId: string, input: CancelInput): Promise<AccessRequestView> {
    return this.act(principal, requestId, (metadata) => ({ type: 'CancelAccessRequest', data: { itemIds: input.itemIds, reason: input.reason }, metadata }));
  }

  /** The extension's id is minted here, from the instant it was asked for. */
  extend(principal: Principal, requestId: string, input: ExtendInput): Promise<AccessRequestView> {
    return this.act(principal, requestId, (metadata) => ({
      type: 'ExtendAccess',
      data: { itemId: input.itemId, extensionId: `ext-${metadata.now}`, ...(input.by ? { by: input.by } : {}), ...(input.extendTo ? { extendTo: input.extendTo } : {}) },
      metadata,
    }));
  }

  release(principal: Principal, requestId: string, input: ItemInput): Promise<AccessRequestView> {
    return this.act(principal, requestId, (metadata) => ({ type: 'ReleaseAccess', data: { itemId: input.itemId }, metadata }));
  }

  revoke(principal: Principal, requestId: string, input: RevokeInput): Promise<AccessRequestView> {
    return this.act(principal, requestId, (metadata) => ({ type: 'RevokeAccess', data: { itemId: input.itemId, reason: input.reason }, metadata }));
  }

  private async act(principal: Principal, requestId: string, command: (metadata: CommandMetadata) => AccessRequestCommand): Promise<AccessRequestView> {
    // The decider is the authority on who may change a request; this only keeps auditors read-only.
    if (!hasRole(principal, 'requester', 'admin')) throw forbidden('this operation needs the requester or admin role');
    const result = await this.streams.execute(requestId, command(commandMetadata(principal, this.clock.now(), this.correlation.current())));
    const view = toView(result.state);
    if (!view) throw notFound();
    return view;
  }
}
