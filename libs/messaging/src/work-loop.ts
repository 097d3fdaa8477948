/**
 * A background loop that runs `step` while it finds work, and otherwise sleeps until `idleMs`
 * passes or `notify()` says there is something new (after a commit, say). A `notify()` that comes
 * while `step` runs is kept: the loop runs `step` again at once instead of sleeping (that step
 * may have looked before the commit it announces). Errors are reported and the loop carries on.
 */
export class WorkLoop {
  private running = false;
  private wake?: () => void;
  /** A notify() came while no sleep was there to end. */
  private notified = false;
  private loop?: Promise<void>;

  constructor(
    private readonly step: () => Promise<boolean>,
    private readonly options: { readonly idleMs: number; readonly onError?: (error: unknown) => void },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  notify(): void {
    if (this.wake) this.wake();
    else this.notified = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      this.notified = false;
      try {
        worked = await this.step();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (worked || this.notified || !this.running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.idleMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
