/**
 * A background loop that runs `step` while it finds work, and otherwise sleeps until `idleMs`
 * passes or `notify()` says there is something new (after a commit, say). Errors are reported and
 * the loop carries on.
 */
export class WorkLoop {
  private running = false;
  private wake?: () => void;
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
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.step();
      } catch (error) {
        this.options.onError?.(error);
      }
      if (worked || !this.running) continue;
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
