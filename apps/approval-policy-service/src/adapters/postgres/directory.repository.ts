import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Directory, Group, Identity } from '@kairos/approval-policy-domain';
import { returnedRows } from '@kairos/persistence';
import type { DirectoryStore, DirectoryTransaction } from '../../domain/directory-store';

interface IdentityRow {
  id: string;
  kind: Identity['kind'];
  display_name: string;
  email: string | null;
  manager_id: string | null;
  owner: string | null;
  active: boolean;
  groups: string[] | null;
}

const toIdentity = (row: IdentityRow): Identity => ({
  id: row.id,
  kind: row.kind,
  displayName: row.display_name,
  ...(row.email ? { email: row.email } : {}),
  ...(row.manager_id ? { managerId: row.manager_id } : {}),
  ...(row.owner ? { owner: row.owner } : {}),
  groups: row.groups ?? [],
  active: row.active,
});

/** The name of the advisory lock that serialises directory writes. */
const DIRECTORY_WRITE_LOCK = 'kairos.approval-policy.directory-write';
const IDENTITY_SELECT = `SELECT i.*, (SELECT array_agg(m.group_id ORDER BY m.group_id) FROM group_members m WHERE m.identity_id = i.id) AS groups
  FROM identities i`;

/** People, service accounts and groups. Membership lives in one table, read from both sides. */
@Injectable()
export class DirectoryRepository implements DirectoryStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async directory(manager: EntityManager = this.dataSource.manager): Promise<Directory> {
    return { identities: await this.identities(manager), groups: await this.groups(manager) };
  }

  async identities(manager: EntityManager = this.dataSource.manager): Promise<Identity[]> {
    const rows: IdentityRow[] = await manager.query(`${IDENTITY_SELECT} ORDER BY i.id`);
    return rows.map(toIdentity);
  }

  async identity(id: string, manager: EntityManager = this.dataSource.manager): Promise<Identity | undefined> {
    const rows: IdentityRow[] = await manager.query(`${IDENTITY_SELECT} WHERE i.id = $1`, [id]);
    return rows[0] ? toIdentity(rows[0]) : undefined;
  }

  async existing(ids: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<Set<string>> {
    const rows: { id: string }[] = await manager.query('SELECT id FROM identities WHERE id = ANY($1)', [[...ids]]);
    return new Set(rows.map((row) => row.id));
  }

  async existingGroups(ids: readonly string[], manager: EntityManager = this.dataSource.manager): Promise<Set<string>> {
    const rows: { id: string }[] = await manager.query('SELECT id FROM groups WHERE id = ANY($1)', [[...ids]]);
    return new Set(rows.map((row) => row.id));
  }

  async groups(manager: EntityManager = this.dataSource.manager): Promise<Group[]> {
    const rows: { id: string; name: string; members: string[] | null }[] = await manager.query(
      `SELECT g.id, g.name, (SELECT array_agg(m.identity_id ORDER BY m.identity_id) FROM group_members m WHERE m.group_id = g.id) AS members
       FROM groups g ORDER BY g.id`,
    );
    return rows.map((row) => ({ id: row.id, name: row.name, members: row.members ?? [] }));
  }

  async group(id: string): Promise<Group | undefined> {
    return (await this.groups()).find((group) => group.id === id);
  }

  /**
   * Every write to the directory runs here, one at a time: an import rewrites every membership and
   * an identity or group write rewrites some, so two of them in parallel would take the same rows in
   * different orders and deadlock. A transaction-level advisory lock queues them instead (released at
   * commit or rollback); readers are not blocked.
   */
  writeTransaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DIRECTORY_WRITE_LOCK]);
      return work(tx);
    });
  }

  /** A directory write (see `writeTransaction`) through the operations a use case may make in it. */
  write<T>(work: (tx: DirectoryTransaction) => Promise<T>): Promise<T> {
    return this.writeTransaction((tx) =>
      work({
        identity: (id) => this.identity(id, tx),
        existing: (ids) => this.existing(ids, tx),
        existingGroups: (ids) => this.existingGroups(ids, tx),
        putIdentity: (identity) => this.putIdentity(tx, identity),
        putGroup: (group) => this.putGroup(tx, group),
        replaceAll: (directory) => this.replaceAll(tx, directory),
      }),
    );
  }

  /** Inserts or replaces one identity; its group memberships become exactly `identity.groups`. */
  async putIdentity(tx: EntityManager, identity: Identity): Promise<void> {
    await tx.query(
      `INSERT INTO identities (id, kind, display_name, email, manager_id, owner, active) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, display_name = EXCLUDED.display_name, email = EXCLUDED.email,
         manager_id = EXCLUDED.manager_id, owner = EXCLUDED.owner, active = EXCLUDED.active, updated_at = now()`,
      [
        identity.id,
        identity.kind,
        identity.displayName,
        identity.email ?? null,
        identity.managerId ?? null,
        identity.owner ?? null,
        identity.active,
      ],
    );
    await tx.query('DELETE FROM group_members WHERE identity_id = $1', [identity.id]);
    for (const group of identity.groups) {
      await tx.query('INSERT INTO groups (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING', [group]);
      await tx.query('INSERT INTO group_members (group_id, identity_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [group, identity.id]);
    }
  }

  async deleteIdentity(id: string): Promise<boolean> {
    const rows = returnedRows(await this.writeTransaction((tx) => tx.query('DELETE FROM identities WHERE id = $1 RETURNING 1', [id])));
    return rows.length > 0;
  }

  /** Inserts or replaces a group; its members become exactly `group.members`. */
  async putGroup(tx: EntityManager, group: Group): Promise<void> {
    await tx.query(
      `INSERT INTO groups (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()`,
      [group.id, group.name],
    );
    await tx.query('DELETE FROM group_members WHERE group_id = $1', [group.id]);
    for (const member of group.members) {
      await tx.query('INSERT INTO group_members (group_id, identity_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [group.id, member]);
    }
  }

  async deleteGroup(id: string): Promise<boolean> {
    const rows = returnedRows(await this.writeTransaction((tx) => tx.query('DELETE FROM groups WHERE id = $1 RETURNING 1', [id])));
    return rows.length > 0;
  }

  /**
   * A directory export is the whole directory: everyone in it is written, everyone not in it is
   * deactivated (kept, so old requests still name them, but never again a requester or approver),
   * and group memberships become exactly the export's.
   */
  async replaceAll(tx: EntityManager, directory: Directory): Promise<{ deactivated: number }> {
    await tx.query('DELETE FROM group_members');
    for (const identity of directory.identities) await this.putIdentity(tx, { ...identity, groups: [] });
    for (const group of directory.groups) await this.putGroup(tx, group);
    const deactivated = returnedRows(
      await tx.query('UPDATE identities SET active = false, updated_at = now() WHERE active AND NOT (id = ANY($1)) RETURNING 1', [
        directory.identities.map((identity) => identity.id),
      ]),
    );
    return { deactivated: deactivated.length };
  }
}
