import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/errors';
import { OffsetsLog } from '../storage/offsets-log';
import { Group, JoinRequest } from './group';
import { JoinResult, SyncResult } from './member';

export interface GroupConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

const EMPTY = Buffer.alloc(0);

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly offsets: OffsetsLog,
    private readonly config: GroupConfig,
  ) {}

  private getOrCreate(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') {
      group = new Group(groupId, this.config.initialRebalanceDelayMs);
      this.groups.set(groupId, group);
    }
    return group;
  }

  join(groupId: string, req: JoinRequest, version: number): Promise<JoinResult> | JoinResult {
    const fail = (error: number): JoinResult => ({ error, generation: -1, protocolName: '', leader: '', memberId: req.memberId, members: [] });
    if (groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const group = req.memberId === '' ? this.getOrCreate(groupId) : this.groups.get(groupId);
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    return group.join(req, `${req.clientId}-${randomUUID()}`, version >= 4);
  }

  sync(groupId: string, memberId: string, generation: number, assignments: Array<{ memberId: string; assignment: Buffer }>): Promise<SyncResult> | SyncResult {
    const group = this.groups.get(groupId);
    if (!group) return { error: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY };
    return group.sync(memberId, generation, assignments);
  }

  heartbeat(groupId: string, memberId: string, generation: number): number {
    return this.groups.get(groupId)?.heartbeat(memberId, generation) ?? ErrorCode.UNKNOWN_MEMBER_ID;
  }

  leave(groupId: string, memberId: string): number {
    return this.groups.get(groupId)?.leave(memberId) ?? ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** Returns per-entry error codes and a promise that settles when stored entries are durable. */
  commit(groupId: string, memberId: string, generation: number, entries: OffsetCommitEntry[]): { error: number; durable: Promise<void> } {
    if (groupId === '') return { error: ErrorCode.INVALID_GROUP_ID, durable: Promise.resolve() };
    let group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') {
      if (generation >= 0) return { error: ErrorCode.ILLEGAL_GENERATION, durable: Promise.resolve() };
      group = this.getOrCreate(groupId);
    }
    const error = group.commitError(memberId, generation);
    if (error !== null) return { error, durable: Promise.resolve() };
    return { error: ErrorCode.NONE, durable: this.offsets.commitOffsets(groupId, entries) };
  }

  /** DeleteGroups: refuses groups with members; forgets the offsets of the rest. */
  async deleteGroup(groupId: string): Promise<number> {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    const live = group !== undefined && group.state !== 'Dead';
    if (!live && !this.offsets.hasGroup(groupId)) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group && group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    group?.shutdown();
    this.groups.delete(groupId);
    try {
      await this.offsets.deleteGroup(groupId);
      return ErrorCode.NONE;
    } catch {
      return ErrorCode.KAFKA_STORAGE_ERROR;
    }
  }

  fetchOffset(groupId: string, topic: string, partition: number): { offset: number; metadata: string | null } {
    return this.offsets.get(groupId, topic, partition) ?? { offset: -1, metadata: '' };
  }

  allOffsets(groupId: string): OffsetCommitEntry[] {
    return this.offsets.all(groupId);
  }

  describe(groupId: string): Group | undefined {
    const group = this.groups.get(groupId);
    if (group) return group;
    return this.offsets.hasGroup(groupId) ? this.getOrCreate(groupId) : undefined;
  }

  list(): Array<{ groupId: string; protocolType: string }> {
    for (const id of this.offsets.groups()) if (!this.groups.has(id)) this.getOrCreate(id);
    return [...this.groups.values()]
      .filter((g) => g.state !== 'Dead')
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '' }));
  }

  shutdown(): void {
    for (const g of this.groups.values()) g.shutdown();
  }
}
