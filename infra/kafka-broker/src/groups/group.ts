import { ErrorCode } from '../protocol/errors';
import { JoinResult, Member, Protocol, SyncResult, sameProtocols } from './member';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinRequest {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
}

const EMPTY = Buffer.alloc(0);

function failedJoin(error: number, memberId = ''): JoinResult {
  return { error, generation: -1, protocolName: '', leader: '', memberId, members: [] };
}

/** One consumer group and its rebalance state machine (Kafka's GroupCoordinator, single node). */
export class Group {
  state: GroupState = 'Empty';
  generation = 0;
  protocolType: string | null = null;
  protocol: string | null = null;
  leader: string | null = null;
  readonly members = new Map<string, Member>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private joinTimer: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private delaying = false;
  private delayTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly groupId: string,
    private readonly initialRebalanceDelayMs: number,
  ) {}

  private supportsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    return this.candidateProtocols().some((name) => protocols.some((p) => p.name === name));
  }

  private candidateProtocols(): string[] {
    const members = [...this.members.values()];
    if (members.length === 0) return [];
    return members[0].protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  }

  isPending(memberId: string): boolean {
    return this.pending.has(memberId);
  }

  addPending(memberId: string, sessionTimeoutMs: number): void {
    this.pending.set(
      memberId,
      setTimeout(() => this.pending.delete(memberId), sessionTimeoutMs),
    );
  }

  join(req: JoinRequest, newMemberId: string, requireKnownId: boolean): Promise<JoinResult> | JoinResult {
    if (!this.supportsProtocols(req.protocolType, req.protocols)) return failedJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    if (req.memberId === '') {
      if (requireKnownId) {
        this.addPending(newMemberId, req.sessionTimeoutMs);
        return failedJoin(ErrorCode.MEMBER_ID_REQUIRED, newMemberId);
      }
      return this.addMember({ ...req, memberId: newMemberId });
    }
    const pendingTimer = this.pending.get(req.memberId);
    if (pendingTimer) {
      clearTimeout(pendingTimer);
      this.pending.delete(req.memberId);
      return this.addMember(req);
    }
    const member = this.members.get(req.memberId);
    if (!member) return failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
    return this.rejoin(member, req);
  }

  private addMember(req: JoinRequest): Promise<JoinResult> {
    if (this.members.size === 0) this.protocolType = req.protocolType;
    const member: Member = { ...req, assignment: EMPTY, joinWaiter: null, syncWaiter: null, sessionTimer: null };
    this.members.set(member.memberId, member);
    const result = this.park(member);
    if (this.state === 'PreparingRebalance') this.maybeCompleteJoin();
    else this.prepareRebalance();
    return result;
  }

  private rejoin(member: Member, req: JoinRequest): Promise<JoinResult> | JoinResult {
    const changed = !sameProtocols(member.protocols, req.protocols);
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.clientHost = req.clientHost;
    switch (this.state) {
      case 'PreparingRebalance': {
        member.protocols = req.protocols;
        const result = this.park(member);
        this.maybeCompleteJoin();
        return result;
      }
      case 'CompletingRebalance':
      case 'Stable':
        if (!changed && !(this.state === 'Stable' && member.memberId === this.leader)) {
          this.touch(member);
          return this.joinResultFor(member);
        }
        member.protocols = req.protocols;
        {
          const result = this.park(member);
          this.prepareRebalance();
          return result;
        }
      case 'Empty':
      case 'Dead':
        return failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId);
    }
  }

  private park(member: Member): Promise<JoinResult> {
    member.joinWaiter?.(failedJoin(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    return new Promise((resolve) => {
      member.joinWaiter = resolve;
    });
  }

  private prepareRebalance(): void {
    if (this.state === 'CompletingRebalance') this.resetAssignments(ErrorCode.REBALANCE_IN_PROGRESS);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    const initial = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = setTimeout(() => this.completeJoin(), timeout);
    if (initial && this.initialRebalanceDelayMs > 0) {
      this.delaying = true;
      this.delayTimer = setTimeout(() => {
        this.delaying = false;
        this.maybeCompleteJoin();
      }, this.initialRebalanceDelayMs);
      return;
    }
    this.maybeCompleteJoin();
  }

  private resetAssignments(error: number): void {
    for (const m of this.members.values()) {
      m.assignment = EMPTY;
      m.syncWaiter?.({ error, assignment: EMPTY });
      m.syncWaiter = null;
    }
  }

  private maybeCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || this.delaying) return;
    for (const m of this.members.values()) if (!m.joinWaiter) return;
    this.completeJoin();
  }

  private completeJoin(): void {
    if (this.state !== 'PreparingRebalance') return;
    if (this.joinTimer) clearTimeout(this.joinTimer);
    this.joinTimer = null;
    this.delaying = false;
    for (const m of [...this.members.values()]) if (!m.joinWaiter) this.dropMember(m);
    this.generation++;
    if (this.members.size === 0) {
      this.state = 'Empty';
      this.protocol = null;
      this.leader = null;
      return;
    }
    this.protocol = this.electProtocol();
    if (this.leader === null || !this.members.has(this.leader)) this.leader = this.members.keys().next().value ?? null;
    this.state = 'CompletingRebalance';
    for (const m of this.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = null;
      this.touch(m);
      waiter?.(this.joinResultFor(m));
    }
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    const generation = this.generation;
    this.syncTimer = setTimeout(() => {
      if (this.state !== 'CompletingRebalance' || this.generation !== generation) return;
      for (const m of [...this.members.values()]) if (!m.syncWaiter) this.dropMember(m);
      this.prepareRebalance();
    }, timeout);
  }

  private electProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))?.name;
      if (choice) votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = candidates[0];
    for (const [name, count] of votes) if (count > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  private joinResultFor(member: Member): JoinResult {
    const isLeader = member.memberId === this.leader;
    return {
      error: ErrorCode.NONE,
      generation: this.generation,
      protocolName: this.protocol ?? '',
      leader: this.leader ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === this.protocol)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }

  sync(memberId: string, generation: number, assignments: Array<{ memberId: string; assignment: Buffer }>): Promise<SyncResult> | SyncResult {
    const member = this.members.get(memberId);
    if (!member || this.state === 'Empty' || this.state === 'Dead') return { error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY };
    if (generation !== this.generation) return { error: ErrorCode.ILLEGAL_GENERATION, assignment: EMPTY };
    this.touch(member);
    if (this.state === 'PreparingRebalance') return { error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY };
    if (this.state === 'Stable') return { error: ErrorCode.NONE, assignment: member.assignment };
    const result = new Promise<SyncResult>((resolve) => {
      member.syncWaiter?.({ error: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      member.syncWaiter = resolve;
    });
    if (memberId === this.leader) {
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of this.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
      if (this.syncTimer) clearTimeout(this.syncTimer);
      this.syncTimer = null;
      this.state = 'Stable';
      for (const m of this.members.values()) {
        const waiter = m.syncWaiter;
        m.syncWaiter = null;
        waiter?.({ error: ErrorCode.NONE, assignment: m.assignment });
      }
    }
    return result;
  }

  heartbeat(memberId: string, generation: number): number {
    const member = this.members.get(memberId);
    if (!member || this.state === 'Empty' || this.state === 'Dead') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(member);
    return this.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(memberId: string): number {
    const member = this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(member);
    return ErrorCode.NONE;
  }

  /** Checks an offset commit against membership; null means "store it". */
  commitError(memberId: string, generation: number): number | null {
    if (generation < 0 && this.state === 'Empty') return null;
    const member = this.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== this.generation) return ErrorCode.ILLEGAL_GENERATION;
    if (this.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(member);
    return null;
  }

  private touch(member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => this.expire(member), member.sessionTimeoutMs);
  }

  private expire(member: Member): void {
    if (this.members.get(member.memberId) !== member) return;
    if (member.joinWaiter || member.syncWaiter) {
      this.touch(member);
      return;
    }
    this.removeMember(member);
  }

  private dropMember(member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    this.members.delete(member.memberId);
    member.joinWaiter?.(failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.syncWaiter?.({ error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    member.joinWaiter = null;
    member.syncWaiter = null;
  }

  private removeMember(member: Member): void {
    this.dropMember(member);
    if (this.leader === member.memberId) this.leader = this.members.keys().next().value ?? null;
    switch (this.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance();
        break;
      case 'PreparingRebalance':
        this.maybeCompleteJoin();
        break;
      case 'Empty':
      case 'Dead':
        break;
    }
  }

  memberMetadata(member: Member): Buffer {
    return member.protocols.find((p) => p.name === this.protocol)?.metadata ?? EMPTY;
  }

  shutdown(): void {
    if (this.joinTimer) clearTimeout(this.joinTimer);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.delayTimer) clearTimeout(this.delayTimer);
    for (const t of this.pending.values()) clearTimeout(t);
    for (const m of this.members.values()) if (m.sessionTimer) clearTimeout(m.sessionTimer);
    this.delaying = false;
  }
}
