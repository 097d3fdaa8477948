import request from 'supertest';
import { requestEvents } from '@kairos/access-request-domain/testing';
import { metricSamples } from '@kairos/observability';
import { eventually } from '@kairos/testing';
import { startHarness, type Harness } from '../src/testing/harness';
import { HOUR, ManualClock, plus } from '../src/testing/clock';

const T0 = '2026-03-01T09:00:00.000Z';

/** The overdue-timer gauges operators page on, read from the service's own /metrics. */
describe('timers overdue (real PostgreSQL, local Kafka, injected clock)', () => {
  let h: Harness;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    h = await startHarness();
    await h.boot(clock);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  const scrape = async () => {
    const res = await request(h.app.getHttpServer()).get('/metrics');
    expect(res.status).toBe(200);
    return { count: metricSamples(res.text, 'kairos_timers_overdue'), age: metricSamples(res.text, 'kairos_timers_overdue_oldest_age_seconds') };
  };
  const only = (m: Map<string, number>) => [...m.values()];

  it('counts due timers the loop has not fired, with the age of the oldest, and falls to 0 once they fire', async () => {
    const requestId = '00000000-0000-4000-8000-0000000000aa';
    const e = requestEvents(requestId);
    const now = clock.now().toISOString();
    const expiresAt = plus(now, HOUR);
    await h.publish(requestId, [e.granted('a', 'g1', expiresAt, now), e.granted('b', 'g2', plus(expiresAt, 30_000), now)]);
    await h.expectPending(requestId, [`access_expiry@${expiresAt}`, `access_expiry@${plus(expiresAt, 30_000)}`]);
    expect(only((await scrape()).count)).toEqual([0]);
    expect(only((await scrape()).age)).toEqual([0]);

    // The firing loop stalls (as when its process hangs); time passes the due times.
    await h.firing.stop();
    clock.set(plus(expiresAt, 90_000));
    const stalled = await scrape();
    expect(only(stalled.count)).toEqual([2]);
    expect(only(stalled.age)).toEqual([90]);

    h.firing.start();
    await eventually(async () => only((await scrape()).count)[0] === 0, 'overdue timers fired');
    expect(only((await scrape()).age)).toEqual([0]);
    expect(await h.timers(requestId)).toEqual([]);
  });
});
