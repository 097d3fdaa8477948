import type { DataSource, QueryRunner } from 'typeorm';

export interface SingleActiveLog {
  info?(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface SingleActiveOptions {
  /** What is elected, e.g. `request-service:kafka-relay`; one lock per name in the database. */
  readonly name: string;
  /** Starts the work once this replica holds the lock. */
  readonly lead: () => Promise<void> | void;
  /** Stops the work: the lock is lost (its connection died) or the service stops. Must not throw. */
  readonly stepDown: () => Promise<void> | void;
  /** How often a standby tries to take over, and the holder checks its connection. Default 1 s. */
  readonly intervalMs?: number;
  readonly log?: SingleActiveLog;
}

/**
 * One active replica for work that must not run twice at once (an event-store subscription that
 * writes a hash chain or publishes in order): the replica that holds a PostgreSQL session-level
 * advisory lock, on a connection of its own, does the work; the others wait and try again every
 * `intervalMs` (ADR 0028). The lock dies with its session, so a replica killed with kill -9 hands
 * over as soon as PostgreSQL notices the closed socket; a holder whose connection fails steps down
 * before anyone else can lead.
 */
export class SingleActive {
  private runner?: QueryRunner;
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private decided = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: SingleActiveOptions,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Throws while this replica has not yet tried for the lock (it may be about to lead). */
  assertDecided(): void {
    if (!this.decided) throw new Error(`${this.options.name}: electing the active replica`);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.resign();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule(this.options.intervalMs ?? 1_000);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    try {
      if (this.leading) {
        // Still holding it? A dead session has released it; someone else may already lead.
        await this.runner!.query('SELECT 1');
        return;
      }
      if (!this.runner) {
        const runner = this.dataSource.createQueryRunner();
        const connection = (await runner.connect()) as { once?: (event: string, listener: () => void) => void };
        this.runner = runner;
        // The server ended the session (terminated, restarted): the lock is gone, step down now, not at the next check.
        connection.once?.('end', () => void (this.runner === runner && this.leading && this.lost(new Error('the lock connection ended'))));
      }
      const [row]: { locked: boolean }[] = await this.runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [this.lockName()]);
      if (!row?.locked || this.stopped) {
        if (row?.locked) await this.unlock();
        this.decided = true;
        return;
      }
      this.leading = true;
      this.decided = true;
      this.options.log?.info?.('leading: this replica does the single-active work', { name: this.options.name });
      await this.options.lead();
    } catch (error) {
      await this.lost(error);
    }
  }

  private async lost(error: unknown): Promise<void> {
    const wasLeading = this.leading;
    this.leading = false;
    await this.dropConnection();
    if (wasLeading) {
      this.options.log?.warn('lost the single-active lock (its connection failed); stepping down', { name: this.options.name, error: (error as Error).message });
      await this.options.stepDown();
    }
  }

  private async resign(): Promise<void> {
    if (this.leading) {
      this.leading = false;
      await this.options.stepDown();
    }
    await this.unlock().catch(() => undefined);
    await this.dropConnection();
  }

  private lockName(): string {
    return `kairos:single-active:${this.options.name}`;
  }

  private async unlock(): Promise<void> {
    await this.runner?.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.lockName()]);
  }

  private async dropConnection(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner) return;
    // A connection that may still hold the lock is never handed back to the pool: released with an
    // error, pg-pool destroys it (TypeORM's release() offers no way to say so).
    const withError = (runner as unknown as { releasePostgresConnection?: (error: Error) => Promise<void> }).releasePostgresConnection;
    await (withError ? withError.call(runner, new Error('single-active connection dropped')) : runner.release()).catch(() => undefined);
  }
}
