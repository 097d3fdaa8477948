import type { Directory, Group, Identity } from '@kairos/approval-policy-domain';

/** Reads of the directory (people, service accounts, groups) as it is now. */
export interface DirectoryReader {
  identities(): Promise<Identity[]>;
  identity(id: string): Promise<Identity | undefined>;
  groups(): Promise<Group[]>;
  group(id: string): Promise<Group | undefined>;
  /** The ids among `ids` that name a group of the directory. */
  existingGroups(ids: readonly string[]): Promise<Set<string>>;
}

/** One write to the directory, inside a transaction that runs alone (directory writes are serialised). */
export interface DirectoryTransaction {
  identity(id: string): Promise<Identity | undefined>;
  /** The ids among `ids` that name an identity of the directory. */
  existing(ids: readonly string[]): Promise<Set<string>>;
  existingGroups(ids: readonly string[]): Promise<Set<string>>;
  /** Inserts or replaces one identity; its group memberships become exactly `identity.groups`. */
  putIdentity(identity: Identity): Promise<void>;
  /** Inserts or replaces a group; its members become exactly `group.members`. */
  putGroup(group: Group): Promise<void>;
  /** The whole directory becomes `directory`; whoever is not in it is deactivated. */
  replaceAll(directory: Directory): Promise<{ deactivated: number }>;
}

/** The directory the admins edit: reads, removals and serialised write transactions. */
export interface DirectoryStore extends DirectoryReader {
  write<T>(work: (tx: DirectoryTransaction) => Promise<T>): Promise<T>;
  deleteIdentity(id: string): Promise<boolean>;
  deleteGroup(id: string): Promise<boolean>;
}
