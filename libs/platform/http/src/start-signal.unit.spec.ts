import { PassThrough } from 'node:stream';
import { startSignal } from './run-service';

/** KAIROS_START_SIGNAL=stdin: a service spawned by `npm start` before setup is done waits for the launcher's line (ADR 0033). */
describe('startSignal', () => {
  const settled = (promise: Promise<void>) =>
    Promise.race([promise.then(() => 'resolved'), new Promise((resolve) => setImmediate(() => resolve('pending')))]);

  it('does not wait when the variable is not set (the image, compose, the test harnesses)', async () => {
    const input = new PassThrough();
    await expect(settled(startSignal({}, input))).resolves.toBe('resolved');
  });

  it('waits for a whole line from the launcher, not for a part of one', async () => {
    const input = new PassThrough();
    const signal = startSignal({ KAIROS_START_SIGNAL: 'stdin' }, input);
    await expect(settled(signal)).resolves.toBe('pending');
    input.write('sta');
    await expect(settled(signal)).resolves.toBe('pending');
    input.write('rt\n');
    await expect(signal).resolves.toBeUndefined();
  });

  it('leaves without starting when the launcher closes stdin without the line (setup failed, or the launcher died)', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      const input = new PassThrough();
      const signal = startSignal({ KAIROS_START_SIGNAL: 'stdin' }, input);
      input.end();
      await new Promise((resolve) => input.once('end', resolve));
      expect(exit).toHaveBeenCalledWith(0);
      await expect(settled(signal)).resolves.toBe('pending');
    } finally {
      exit.mockRestore();
    }
  });
});
