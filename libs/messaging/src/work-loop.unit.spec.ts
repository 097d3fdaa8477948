import { WorkLoop } from './work-loop';

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkLoop', () => {
  // An idle wait no test could sit out: a step that runs again did so because it was woken.
  const HOUR = 3_600_000;

  it('runs the step again when notified while the step was running (a commit it may have looked before)', async () => {
    const firstStepRunning = signal();
    const releaseFirstStep = signal();
    const secondStep = signal();
    let steps = 0;
    const loop = new WorkLoop(
      async () => {
        steps++;
        if (steps === 1) {
          firstStepRunning.resolve();
          await releaseFirstStep.promise;
        }
        if (steps === 2) secondStep.resolve();
        return false;
      },
      { idleMs: HOUR },
    );
    loop.start();
    await firstStepRunning.promise;
    loop.notify();
    releaseFirstStep.resolve();
    await secondStep.promise;
    await loop.stop();
    expect(steps).toBe(2);
  });

  it('wakes a sleeping loop on notify, and sleeps when nothing was announced', async () => {
    const stepped: (() => void)[] = [];
    let steps = 0;
    const loop = new WorkLoop(
      async () => {
        steps++;
        stepped.splice(0).forEach((f) => f());
        return false;
      },
      { idleMs: HOUR },
    );
    const ran = () => new Promise<void>((r) => stepped.push(r));
    const first = ran();
    loop.start();
    await first;
    // Let the loop reach its sleep: several turns of the event loop pass without another step.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(steps).toBe(1);
    const second = ran();
    loop.notify();
    await second;
    await loop.stop();
    expect(steps).toBe(2);
  });
});
