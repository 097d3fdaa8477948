import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CurrentEvaluationInputs, EvaluationInputs } from '../../domain/evaluation-inputs';
import { CatalogueRepository } from './catalogue.repository';
import { DirectoryRepository } from './directory.repository';

/**
 * The catalogue and directory as they are now, read again only when they changed: every write to
 * their tables moves `evaluation_inputs_version` (a trigger, see the migration), so checking that one
 * row tells this replica whether what it read last is still current. Each evaluation still sees
 * today's directory (a refused or removed approver is never used), for one query instead of a
 * transaction that reads every table.
 */
@Injectable()
export class EvaluationInputsSource implements CurrentEvaluationInputs {
  private last?: { readonly version: string; readonly inputs: EvaluationInputs };
  private loading?: Promise<{ readonly version: string; readonly inputs: EvaluationInputs }>;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly catalogue: CatalogueRepository,
    private readonly directory: DirectoryRepository,
  ) {}

  async current(): Promise<EvaluationInputs> {
    const version = await this.version();
    if (this.last?.version === version) return this.last.inputs;
    // Evaluations that arrive together share one reload.
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    const loaded = await this.loading;
    // Keep the newest of what was loaded and what is kept (a slow load must not bring back an older one).
    if (!this.last || BigInt(loaded.version) >= BigInt(this.last.version)) this.last = loaded;
    return loaded.inputs;
  }

  private async version(): Promise<string> {
    const [row] = (await this.dataSource.query('SELECT version FROM evaluation_inputs_version WHERE id = 1')) as { version: string }[];
    if (!row) throw new Error('evaluation_inputs_version has no row: the approval-policy migrations did not run');
    return String(row.version);
  }

  /** One snapshot (repeatable read), so the version matches the rows read with it. */
  private load(): Promise<{ readonly version: string; readonly inputs: EvaluationInputs }> {
    return this.dataSource.transaction('REPEATABLE READ', async (tx) => {
      const [row] = (await tx.query('SELECT version FROM evaluation_inputs_version WHERE id = 1')) as { version: string }[];
      const inputs: EvaluationInputs = {
        resources: await this.catalogue.resources(tx),
        tiers: await this.catalogue.tiers(tx),
        policyVersion: await this.catalogue.policyVersion(tx),
        directory: await this.directory.directory(tx),
      };
      return { version: String(row!.version), inputs };
    });
  }
}
