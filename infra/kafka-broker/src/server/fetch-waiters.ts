/** Parked long-poll fetches, woken when one of their partitions gains visible data. */
export class FetchWaiters {
  private readonly byPartition = new Map<string, Set<() => void>>();
  private readonly all = new Set<() => void>();

  wait(keys: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.all.delete(done);
        for (const key of keys) this.byPartition.get(key)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.all.add(done);
      for (const key of keys) {
        let set = this.byPartition.get(key);
        if (!set) this.byPartition.set(key, (set = new Set()));
        set.add(done);
      }
    });
  }

  notify(topic: string, partition: number): void {
    const set = this.byPartition.get(`${topic}:${partition}`);
    if (!set) return;
    this.byPartition.delete(`${topic}:${partition}`);
    for (const done of set) done();
  }

  wakeAll(): void {
    for (const done of [...this.all]) done();
  }
}
