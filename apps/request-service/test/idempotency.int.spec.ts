import { EventStoreDBClient } from '@eventstore/db-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { startTwoServices } from './two-services';

describe('submissions with an Idempotency-Key', () => {
  let platform: Awaited<ReturnType<typeof startTwoServices>>;
  let esdb: EventStoreDBClient;
  const tokens: Record<string, string> = {};
  const body = { items: [{ resourceId: 'orders-db', role: 'readonly' }], justification: 'CI job 4711', duration: 'PT1H' };
  const submit = (who: string, key: string | undefined, payload: object = body) => {
    const call = request(platform.app.getHttpServer()).post('/v1/access-requests').set('authorization', `Bearer ${tokens[who]}`);
    return (key === undefined ? call : call.set('idempotency-key', key)).send(payload);
  };
  const requestedEvents = async (requestId: string) => {
    const types: string[] = [];
    for await (const resolved of esdb.readStream(`access-request-${requestId}`)) types.push(resolved.event!.type);
    return types.filter((type) => type === 'AccessRequested').length;
  };

  beforeAll(async () => {
    platform = await startTwoServices();
    esdb = EventStoreDBClient.connectionString(platform.eventstore.connectionString);
    tokens.alice = await platform.issuer.token('alice', ['requester']);
    tokens.bob = await platform.issuer.token('bob', ['requester']);
  }, 120_000);

  afterAll(async () => {
    await esdb?.dispose();
    await platform?.close();
  }, 120_000);

  it('refuses to grant twice when a client retries after a lost reply: the retry returns the first request', async () => {
    const first = await submit('alice', 'job-4711-attempt');
    expect(first.status).toBe(201);
    const retry = await submit('alice', 'job-4711-attempt');
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.requestId).toBe(first.body.requestId);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(await requestedEvents(first.body.requestId)).toBe(1);
  });

  it('submits a request whose key was bound just before a crash, with the id the key named', async () => {
    // As if the service died after binding the key and before appending: the retry finishes the job.
    const dataSource = platform.app.get(DataSource);
    const requestId = '0b7c0f8e-3a6d-4c2b-9e1f-5a4d3c2b1a09';
    const { bodyHash } = await import('../src/domain/idempotency-key');
    await dataSource.query('INSERT INTO idempotency_keys (principal_id, key, request_id, body_hash, created_at) VALUES ($1, $2, $3, $4, now())', [
      'alice',
      'died-before-append',
      requestId,
      bodyHash(JSON.parse(JSON.stringify(body))),
    ]);
    const res = await submit('alice', 'died-before-append');
    expect(res.status).toBe(201);
    expect(res.body.requestId).toBe(requestId);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await requestedEvents(requestId)).toBe(1);
  });

  it('refuses the same key with a different body', async () => {
    expect((await submit('alice', 'one-intent')).status).toBe(201);
    const other = await submit('alice', 'one-intent', { ...body, duration: 'PT2H' });
    expect(other.status).toBe(422);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('creates one request for concurrent retries with the same key', async () => {
    const responses = await Promise.all([submit('alice', 'burst'), submit('alice', 'burst'), submit('alice', 'burst')]);
    expect(responses.map((res) => res.status)).toEqual([201, 201, 201]);
    const ids = new Set(responses.map((res) => res.body.requestId));
    expect(ids.size).toBe(1);
    expect(await requestedEvents([...ids][0])).toBe(1);
  });

  it("keeps one caller's key apart from another's: the same key by two people is two requests", async () => {
    const mine = await submit('alice', 'shared-key');
    const theirs = await submit('bob', 'shared-key');
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(theirs.body.requestId).not.toBe(mine.body.requestId);
  });

  it('refuses a key that is not 1 to 255 printable characters', async () => {
    const res = await submit('alice', 'x'.repeat(256));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('IDEMPOTENCY_KEY_INVALID');
  });

  it('still creates a new request per call without a key', async () => {
    const [a, b] = [await submit('alice', undefined), await submit('alice', undefined)];
    expect(a.body.requestId).not.toBe(b.body.requestId);
  });
});
