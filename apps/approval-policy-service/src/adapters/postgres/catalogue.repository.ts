import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { defaultTiers, TIERS, type Resource, type Tier, type TierSettings, type TierTable } from '@kairos/approval-policy-domain';
import { returnedRows } from '@kairos/persistence';

interface ResourceRow {
  id: string;
  name: string;
  connector: Resource['connector'];
  target: string;
  owners: string[];
  allowed_roles: string[];
  tier: number;
  break_glass_allowed: boolean;
  settings: Partial<TierSettings> | null;
  group_overrides: Record<string, Partial<TierSettings>> | null;
  requestable_by: string[] | null;
}

const toResource = (row: ResourceRow): Resource => ({
  id: row.id,
  name: row.name,
  connector: row.connector,
  target: row.target,
  owners: row.owners,
  allowedRoles: row.allowed_roles,
  tier: row.tier as Tier,
  breakGlassAllowed: row.break_glass_allowed,
  ...(row.settings ? { settings: row.settings } : {}),
  ...(row.group_overrides ? { groupOverrides: row.group_overrides } : {}),
  ...(row.requestable_by && row.requestable_by.length > 0 ? { requestableBy: row.requestable_by } : {}),
});

/** Resources and tiers. Every write bumps the policy version in the same transaction. */
@Injectable()
export class CatalogueRepository implements OnModuleInit {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Tiers are seeded with the defaults on first start; afterwards they are the admins' to edit. */
  async onModuleInit(): Promise<void> {
    const defaults = defaultTiers();
    for (const tier of TIERS) {
      await this.dataSource.query('INSERT INTO tiers (tier, settings) VALUES ($1, $2) ON CONFLICT (tier) DO NOTHING', [
        tier,
        JSON.stringify(defaults[tier]),
      ]);
    }
  }

  async policyVersion(manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [row] = await manager.query('SELECT version FROM policy_version WHERE id = 1');
    return Number(row.version);
  }

  async resources(manager: EntityManager = this.dataSource.manager): Promise<Resource[]> {
    const rows: ResourceRow[] = await manager.query('SELECT * FROM resources ORDER BY id');
    return rows.map(toResource);
  }

  async resource(id: string): Promise<Resource | undefined> {
    const rows: ResourceRow[] = await this.dataSource.query('SELECT * FROM resources WHERE id = $1', [id]);
    return rows[0] ? toResource(rows[0]) : undefined;
  }

  async resourceNames(ids: readonly string[]): Promise<Map<string, string>> {
    const rows: { id: string; name: string }[] = await this.dataSource.query('SELECT id, name FROM resources WHERE id = ANY($1)', [
      [...ids],
    ]);
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  /** Creates (`mustExist: false`) or replaces (`mustExist: true`); false when that expectation fails. */
  async saveResource(resource: Resource, mustExist: boolean): Promise<{ saved: boolean; policyVersion: number }> {
    return this.dataSource.transaction(async (tx) => {
      const values = [
        resource.id,
        resource.name,
        resource.connector,
        resource.target,
        JSON.stringify(resource.owners),
        JSON.stringify(resource.allowedRoles),
        resource.tier,
        resource.breakGlassAllowed ?? false,
        resource.settings ? JSON.stringify(resource.settings) : null,
        resource.groupOverrides ? JSON.stringify(resource.groupOverrides) : null,
        resource.requestableBy && resource.requestableBy.length > 0 ? JSON.stringify(resource.requestableBy) : null,
      ];
      const rows = returnedRows(
        mustExist
          ? await tx.query(
              `UPDATE resources SET name = $2, connector = $3, target = $4, owners = $5, allowed_roles = $6, tier = $7,
               break_glass_allowed = $8, settings = $9, group_overrides = $10, requestable_by = $11, updated_at = now() WHERE id = $1 RETURNING 1`,
              values,
            )
          : await tx.query(
              `INSERT INTO resources (id, name, connector, target, owners, allowed_roles, tier, break_glass_allowed, settings, group_overrides, requestable_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING 1`,
              values,
            ),
      );
      if (rows.length === 0) return { saved: false, policyVersion: await this.policyVersion(tx) };
      return { saved: true, policyVersion: await this.bump(tx) };
    });
  }

  async deleteResource(id: string): Promise<boolean> {
    return this.dataSource.transaction(async (tx) => {
      const rows = returnedRows(await tx.query('DELETE FROM resources WHERE id = $1 RETURNING 1', [id]));
      if (rows.length === 0) return false;
      await this.bump(tx);
      return true;
    });
  }

  async tiers(manager: EntityManager = this.dataSource.manager): Promise<TierTable> {
    const rows: { tier: number; settings: TierSettings }[] = await manager.query('SELECT tier, settings FROM tiers ORDER BY tier');
    const table = Object.fromEntries(rows.map((row) => [row.tier, row.settings])) as Record<Tier, TierSettings>;
    return table;
  }

  async saveTier(tier: Tier, settings: TierSettings): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO tiers (tier, settings) VALUES ($1, $2)
         ON CONFLICT (tier) DO UPDATE SET settings = EXCLUDED.settings, updated_at = now()`,
        [tier, JSON.stringify(settings)],
      );
      return this.bump(tx);
    });
  }

  private async bump(tx: EntityManager): Promise<number> {
    const [row] = returnedRows<{ version: string }>(
      await tx.query('UPDATE policy_version SET version = version + 1, changed_at = now() WHERE id = 1 RETURNING version'),
    );
    if (!row) throw new Error('policy_version row is missing');
    return Number(row.version);
  }
}
