import { randomUUID } from 'node:crypto';
import type { Clock } from '@kairos/clock';
import { refuse } from '@kairos/refusal';
import { MAX_DELEGATION_MS, type Delegation } from '../../domain/delegation';

/** Who asks: a person or a service, and whether they are an admin. */
export interface Actor {
  readonly id: string;
  readonly kind: 'person' | 'service';
  readonly admin: boolean;
}

/** The delegations table (the postgres adapter: PgDelegations). */
export interface DelegationStore {
  create(delegation: { delegationId: string; delegatorId: string; delegateId: string; startsAt: Date; endsAt: Date; createdAt: Date }): Promise<Delegation>;
  /** The latest 500 delegations, newest first. */
  all(): Promise<Delegation[]>;
  /** The latest 500 delegations made by or to this person, newest first. */
  involving(personId: string): Promise<Delegation[]>;
  delegatorOf(delegationId: string): Promise<string | undefined>;
  /** Ends a delegation at `at` (nothing when it was already ended). */
  revoke(delegationId: string, at: Date): Promise<void>;
}

/**
 * Out of office: an approver names a delegate for a period. Each review that reaches the approver
 * while it lasts is also opened to the delegate, recorded on the request's stream (ReviewEscalated,
 * reason delegation, delegatedBy, until), so the evidence shows who decided in whose place.
 */
export class Delegate {
  constructor(
    private readonly store: DelegationStore,
    private readonly clock: Clock,
  ) {}

  /** `startsAt` and `endsAt` are RFC 3339 times (checked by the caller). */
  async create(actor: Actor, input: { delegateId: string; startsAt: string; endsAt: string }): Promise<Delegation> {
    if (actor.kind !== 'person') throw refuse.forbidden('FORBIDDEN', 'only a person delegates their reviews');
    const starts = Date.parse(input.startsAt);
    const ends = Date.parse(input.endsAt);
    if (input.delegateId === actor.id) throw refuse.invalid('VALIDATION_FAILED', 'nobody delegates to themself');
    if (!(ends > starts) || ends - starts > MAX_DELEGATION_MS || ends <= this.clock.now().getTime()) {
      throw refuse.invalid('VALIDATION_FAILED', 'endsAt must be after startsAt, in the future, and at most 90 days later');
    }
    return this.store.create({
      delegationId: randomUUID(),
      delegatorId: actor.id,
      delegateId: input.delegateId,
      startsAt: new Date(starts),
      endsAt: new Date(ends),
      createdAt: this.clock.now(),
    });
  }

  /** The actor's delegations, made by or to them; an admin sees all. */
  async list(actor: Actor): Promise<{ items: Delegation[] }> {
    return { items: actor.admin ? await this.store.all() : await this.store.involving(actor.id) };
  }

  /** Ends a delegation now: its delegator or an admin. */
  async revoke(actor: Actor, delegationId: string): Promise<void> {
    const delegator = await this.store.delegatorOf(delegationId);
    if (delegator === undefined) throw refuse.notFound('DELEGATION_NOT_FOUND', `no delegation ${delegationId}`);
    if (delegator !== actor.id && !actor.admin) throw refuse.forbidden('FORBIDDEN', 'only its delegator or an admin ends a delegation');
    await this.store.revoke(delegationId, this.clock.now());
  }
}
