import { benchPlatform, platformTarget } from './platform-bench';

// The smoke version of `npm run bench -- platform` (BENCH_SMOKE=true): a handful of requests through
// every phase, so CI knows the benchmark still runs end to end. Its figures are not judged here.
jest.setTimeout(600_000);

describe('npm run bench -- platform (smoke)', () => {
  it('measures every figure of the issue 17 table on the running platform', async () => {
    const figures = await benchPlatform({ requests: 20, latencyRequests: 20, singleRequests: 5, activeGrants: [100], shortGrants: 5 });
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
  });
});
