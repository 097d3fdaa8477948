import { GroupCommit } from './group-commit';

describe('group commit', () => {
  it('lets callers that arrive during a flush share the next one', async () => {
    let flushes = 0;
    let release: () => void = () => undefined;
    const commit = new GroupCommit(
      () =>
        new Promise<void>((resolve) => {
          flushes++;
          release = resolve;
        }),
    );
    const first = commit.sync();
    const waiting = [commit.sync(), commit.sync(), commit.sync()];
    release();
    await first;
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all(waiting);
    expect(flushes).toBe(2);
  });
});
