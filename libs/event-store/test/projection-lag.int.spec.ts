import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { startTestEventStore } from '@kairos/testing';
import { projectionLagSeconds, type LogPosition } from '../src';

/** The projection lag operators page on: the age of the oldest event of the category a checkpoint has not reached. */
describe('projection lag against the EventStoreDB-compatible server', () => {
  let server: Awaited<ReturnType<typeof startTestEventStore>>;
  let client: EventStoreDBClient;
  beforeAll(async () => {
    server = await startTestEventStore();
    client = EventStoreDBClient.connectionString(server.connectionString);
  }, 60_000);
  afterAll(async () => {
    await client.dispose();
    await server.close();
  }, 60_000);

  it('is the age of the first unhandled event of the category, 0 once the checkpoint reached the last one, and ignores other streams', async () => {
    const appended = async (stream: string) => {
      const result = await client.appendToStream(stream, jsonEvent({ type: 'Something', data: { stream } }));
      return result.position as LogPosition;
    };
    const first = await appended('lagcat-1');
    await appended('other-1');
    const last = await appended('lagcat-2');
    await appended('other-2');
    const inAMinute = new Date(Date.now() + 60_000);

    const fromStart = await projectionLagSeconds(client, 'lagcat', null, inAMinute);
    expect(fromStart).toBeGreaterThanOrEqual(59);
    expect(fromStart).toBeLessThan(600);
    expect(await projectionLagSeconds(client, 'lagcat', first, inAMinute)).toBeGreaterThanOrEqual(59);
    // Past its last event only other streams follow: caught up.
    expect(await projectionLagSeconds(client, 'lagcat', last, inAMinute)).toBe(0);
    expect(await projectionLagSeconds(client, 'nothing-here', null, inAMinute)).toBe(0);
  });
});
