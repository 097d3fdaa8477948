import { benchPlatform, platformOptionsFromEnv, platformTarget } from './platform-bench';

// The smoke version of `npm run bench -- platform` (BENCH_SMOKE=true): a handful of requests through
// every phase, so CI knows the benchmark still runs end to end. Its figures are not judged here.
jest.setTimeout(600_000);

describe('npm run bench -- platform (smoke)', () => {
  it('measures every figure of the issue 17 table on the running platform', async () => {
    process.env.BENCH_SMOKE = 'true';
    const options = platformOptionsFromEnv();
    // The smoke's sizes: 100 grants made through the API, then 300 with the rest copied in the stores.
    expect(options).toMatchObject({ activeGrants: [100, 300], cloneAbove: 100, shortGrants: 5 });
    const figures = await benchPlatform(options);
    const judged = [
      'requests carried to active per second',
      'request to active p50 at 50 req/s (ms)',
      'request to active p99 at 50 req/s (ms)',
      'single request at rest p99 (ms)',
      'revocation lateness p99 at 100 active grants (ms)',
      'audit replay (events/s)',
      'RSS request-service (MB)',
      'RSS audit-projector (MB)',
      'start to banner (s)',
    ];
    for (const figure of judged) {
      expect(platformTarget(figure)).toBeDefined();
      expect(Number.isFinite(figures[figure])).toBe(true);
      expect(figures[figure]).toBeGreaterThan(0);
    }
    // The replay saw the events of every request the run made (at least one per request).
    expect(figures['audit replay at 100 requests (events)']).toBeGreaterThanOrEqual(100);
    // Copies are counted apart, are not replayed (they have no stream), and the scheduler holds a
    // pending timer for every active grant, copies included.
    expect(figures['active grants copied in the stores at 100 (not made through the API)']).toBeUndefined();
    expect(figures['active grants copied in the stores at 300 (not made through the API)']).toBe(200);
    expect(figures['pending access-expiry timers at 300']).toBeGreaterThanOrEqual(295);
    expect(figures['revocation lateness p99 at 300 active grants (ms)']).toBeGreaterThan(0);
    expect(figures['audit replay at 105 requests (events)']).toBeGreaterThanOrEqual(105);
  });
});
