import type { Clock } from '@kairos/clock';
import { openRound, roundKey } from '@kairos/access-request-domain';
import type { Directory } from '../../domain/directory';
import { contextOf, escalationSources, waitingOn, type Recipients } from '../../domain/plan';
import type { EscalationRequests, NotificationQueue, NotifierLog, RequestStates, TimerKind } from '../../domain/ports';

/** A timer due, as stored. */
export interface DueTimer {
  readonly timer_key: string;
  readonly kind: TimerKind;
  readonly request_id: string;
  readonly item_id: string;
  readonly round_key: string;
}

/** The timers and what firing one writes, inside one transaction (the postgres adapter: PgNotifierTx). */
export interface TimerTransaction extends RequestStates, NotificationQueue, EscalationRequests {
  /** Locks (skipping locked ones) the timers due at `now`, earliest first. */
  dueTimers(now: Date, limit: number): Promise<DueTimer[]>;
  markTimerDone(timerKey: string, now: Date): Promise<void>;
}

export interface TimerStore {
  transaction<T>(work: (tx: TimerTransaction) => Promise<T>): Promise<T>;
}

export interface FireTimersSettings {
  /** Last-resort fallback approvers of an unanswered review. */
  readonly escalationGroup: string;
  readonly batchSize?: number;
}

/**
 * The timers due: a reminder of an unanswered review, its escalation to fallback approvers, a
 * warning before access expires. Each fires only while what it is about still holds (the round is
 * still open, the grant still expires then); returns how many were due.
 */
export class FireTimers {
  constructor(
    private readonly store: TimerStore,
    private readonly directory: Directory,
    private readonly clock: Clock,
    private readonly settings: FireTimersSettings,
    private readonly log: NotifierLog,
  ) {}

  async run(): Promise<number> {
    return this.store.transaction(async (tx) => {
      const now = this.clock.now();
      const due = await tx.dueTimers(now, this.settings.batchSize ?? 50);
      for (const timer of due) {
        await this.fire(tx, timer, now);
        await tx.markTimerDone(timer.timer_key, now);
      }
      return due.length;
    });
  }

  private async fire(tx: TimerTransaction, timer: DueTimer, now: Date): Promise<void> {
    const state = await tx.loadState(timer.request_id);
    if (state.status === 'empty') return;
    const item = state.items.find((candidate) => candidate.itemId === timer.item_id);
    if (!item) return;
    if (timer.kind === 'expiry_warning') {
      if (item.status !== 'active' || item.grant.expiresAt !== timer.round_key) return;
      await tx.queueNotification(`timer:${timer.timer_key}`, state.requestId, {
        kind: 'expiring_soon',
        itemId: item.itemId,
        recipients: { ids: [state.requester.id] },
        data: { ...contextOf(state, item), expiresAt: item.grant.expiresAt },
      }, now);
      return;
    }
    const round = openRound(item);
    // The step was answered (or the item decided) since: nothing is due.
    if (!round || roundKey(round) !== timer.round_key || round.kind === 'ratification') return;
    const context = { ...contextOf(state, item), deadline: round.deadline, stepName: round.snapshot.name };
    if (timer.kind === 'remind') {
      const waiting = waitingOn(state, item, round);
      if (waiting.length === 0) return;
      await tx.queueNotification(`timer:${timer.timer_key}`, state.requestId, { kind: 'review_reminder', itemId: item.itemId, recipients: { ids: waiting }, data: context }, now);
      this.log.info('review reminded', { requestId: state.requestId, itemId: item.itemId, round: timer.round_key, recipients: waiting.length });
      return;
    }
    // Escalation: the step's fallback approvers (from the policy snapshot, today's directory, the
    // configured group last), recorded on the request's stream by the request service, which
    // decides whether it still applies.
    const eligible = round.snapshot.approvers;
    let fallback: string[] = [];
    let source: Recipients | undefined;
    for (const candidate of escalationSources(round.snapshot, item.policy, this.settings.escalationGroup)) {
      const contacts = 'group' in candidate ? await this.directory.byGroup(candidate.group) : await this.directory.byIds(candidate.ids);
      fallback = contacts
        .filter((contact) => contact.active && contact.kind === 'person')
        .map((contact) => contact.id)
        .filter((id) => id !== state.requester.id && !(state.onBehalf && id === state.requestedBy) && !eligible.includes(id));
      source = candidate;
      if (fallback.length > 0) break;
    }
    if (fallback.length === 0) {
      this.log.error('nobody to escalate an unanswered review to', { requestId: state.requestId, itemId: item.itemId, group: this.settings.escalationGroup });
      return;
    }
    await tx.requestEscalation({
      requestId: state.requestId,
      itemId: item.itemId,
      escalationId: `escalate:${timer.timer_key}`,
      step: round.step,
      reason: 'unanswered',
      approvers: fallback.slice(0, 200),
      requestedAt: now.toISOString(),
    });
    this.log.info('review escalated', {
      requestId: state.requestId,
      itemId: item.itemId,
      round: timer.round_key,
      approvers: fallback.length,
      source: source && 'group' in source ? `group:${source.group}` : 'resource owners',
    });
  }
}
