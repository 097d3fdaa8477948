import type { Directory, Group, Identity } from './model';

/**
 * Lookups over a directory snapshot. Group membership is the union of `Group.members` and
 * `Identity.groups`, so a membership recorded on either side counts.
 */
export class DirectoryIndex {
  private static readonly built = new WeakMap<Directory, DirectoryIndex>();

  /**
   * The index of a directory, built once per directory value: a service that keeps the directory it
   * read (it is never mutated) evaluates many requests against one index.
   */
  static of(directory: Directory): DirectoryIndex {
    let index = DirectoryIndex.built.get(directory);
    if (!index) DirectoryIndex.built.set(directory, (index = new DirectoryIndex(directory)));
    return index;
  }

  private readonly byId = new Map<string, Identity>();
  private readonly groupsById = new Map<string, Group>();
  private readonly members = new Map<string, Set<string>>();
  private readonly memberships = new Map<string, Set<string>>();

  constructor(directory: Directory) {
    for (const identity of directory.identities) {
      this.byId.set(identity.id, identity);
      for (const group of identity.groups) this.link(identity.id, group);
    }
    for (const group of directory.groups) {
      this.groupsById.set(group.id, group);
      for (const member of group.members) this.link(member, group.id);
    }
  }

  identity(id: string): Identity | undefined {
    return this.byId.get(id);
  }

  group(id: string): Group | undefined {
    return this.groupsById.get(id);
  }

  groupsOf(identityId: string): ReadonlySet<string> {
    return this.memberships.get(identityId) ?? new Set();
  }

  /** Member ids in sorted order, so resolved approver lists are stable. */
  membersOf(groupId: string): readonly string[] {
    return [...(this.members.get(groupId) ?? [])].sort();
  }

  private link(identityId: string, groupId: string): void {
    if (!this.members.has(groupId)) this.members.set(groupId, new Set());
    if (!this.memberships.has(identityId)) this.memberships.set(identityId, new Set());
    this.members.get(groupId)?.add(identityId);
    this.memberships.get(identityId)?.add(groupId);
  }
}
