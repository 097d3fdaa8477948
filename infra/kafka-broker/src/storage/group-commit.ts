/**
 * Coalesces fsync requests: callers arriving while a flush runs share the next one,
 * so concurrent producers pay for one fsync per round instead of one each.
 */
export class GroupCommit {
  private running: Promise<void> | null = null;
  private queued: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;

  constructor(private readonly flush: () => Promise<void>) {}

  sync(): Promise<void> {
    if (!this.running) return this.start();
    if (!this.queued) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.queued = { promise, resolve, reject };
    }
    return this.queued.promise;
  }

  private start(): Promise<void> {
    const run = this.flush().finally(() => {
      this.running = null;
      const next = this.queued;
      this.queued = null;
      if (next) this.start().then(next.resolve, next.reject);
    });
    this.running = run;
    return run;
  }
}
