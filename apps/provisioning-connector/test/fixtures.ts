import { randomBytes, randomUUID } from 'node:crypto';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Client } from 'pg';
import type { GrantRequested, GrantTarget, RevocationRequested } from '@kairos/contracts';
import { accessRequestStreamName, TOPICS } from '@kairos/contracts';
import { contractSchemas, headerValue, MessagePublisher, MessageSigner, type OutgoingMessage } from '@kairos/messaging';
import { testMessageKeys } from '@kairos/testing';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { systemClock } from '@kairos/clock';
import { safeErrorMessage } from '@kairos/observability';
import type { RetryPolicy } from '../src/domain/job';
import type { CallObserver } from '../src/use-cases/run-job/ports';
import { RunJob } from '../src/use-cases/run-job/run-job';
import type { ConnectorRegistry } from '../src/adapters/connectors/registry';
import { PrometheusJobMetrics } from '../src/adapters/observability/job-metrics';
import { JobsRepository } from '../src/adapters/postgres/jobs.repository';
import { JobWorker, traceConnectorCall, type WorkerLog, type WorkerOptions } from '../src/adapters/worker/job-worker';

export const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

export function grantRequested(args: {
  requestId?: string;
  itemId?: string;
  grantId?: string;
  subjectId: string;
  target: GrantTarget;
}): GrantRequested['data'] {
  return {
    requestId: args.requestId ?? randomUUID(),
    itemId: args.itemId ?? 'item-1',
    grantId: args.grantId ?? randomUUID(),
    subject: { id: args.subjectId, kind: 'person' },
    resourceId: 'orders-db',
    role: 'reader',
    target: args.target,
    duration: 'PT1H',
    breakGlass: false,
    requestedAt: '2026-01-05T10:00:00.000Z',
  };
}

export function revocationRequested(grant: GrantRequested['data']): RevocationRequested['data'] {
  return {
    requestId: grant.requestId,
    itemId: grant.itemId,
    grantId: grant.grantId,
    reason: 'expired',
    subject: grant.subject,
    resourceId: grant.resourceId,
    role: grant.role,
    target: grant.target,
    requestedAt: '2026-01-05T11:00:00.000Z',
  };
}

export function event(
  type: 'GrantRequested' | 'RevocationRequested',
  data: GrantRequested['data'] | RevocationRequested['data'],
  id = randomUUID(),
): OutgoingMessage {
  return {
    topic: TOPICS.accessRequestEvents,
    key: data.requestId,
    id,
    type,
    subject: data.requestId,
    time: new Date().toISOString(),
    source: 'urn:kairos:request-service',
    data,
  };
}

export async function publishEvents(publisher: MessagePublisher, messages: OutgoingMessage[]): Promise<void> {
  await publisher.publish(messages);
}

export interface Result {
  readonly type: string;
  readonly id: string;
  readonly data: {
    requestId: string;
    grantId: string;
    attempt: number;
    ticketId?: string;
    verified?: boolean;
    final?: boolean;
    reason?: string;
  };
}

/** Everything on provisioning.results, as it arrives. */
export async function collectResults(kafka: Kafka): Promise<{ results: Result[]; stop: () => Promise<void> }> {
  const consumer: Consumer = kafka.consumer({ groupId: unique('results-reader') });
  const results: Result[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.provisioningResults, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      results.push({
        type: headerValue(message.headers, 'ce_type') ?? '',
        id: headerValue(message.headers, 'ce_id') ?? '',
        data: JSON.parse(message.value!.toString()),
      });
    },
  });
  return { results, stop: () => consumer.disconnect() };
}

export const kafkaClient = (brokers: string[]) => new Kafka({ clientId: unique('test'), brokers, logLevel: logLevel.NOTHING });

/** Is `member` (the identity role) a member of `role` in the target cluster? */
export async function isMember(url: string, role: string, memberPrefix: string): Promise<boolean> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(
      `SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
        WHERE r.rolname = $1 AND u.rolname LIKE $2`,
      [role, `${memberPrefix}%`],
    );
    return (result.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

export async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Publishes as the request service does: each GrantRequested/RevocationRequested is first
 * recorded on its request's stream (the connector grants only what the stream asks for), then
 * relayed to Kafka signed with the request service's key.
 */
export class RequestServicePublisher extends MessagePublisher {
  constructor(
    kafka: Kafka,
    private readonly eventStore: EventStoreDBClient,
  ) {
    super(kafka, contractSchemas, MessageSigner.of(testMessageKeys().keys['request-service']));
  }

  override async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    for (const m of messages) {
      const data = m.data as { requestId: string };
      await this.eventStore.appendToStream(accessRequestStreamName(data.requestId), jsonEvent({ type: m.type, data: m.data as never }));
    }
    await super.publish(messages);
  }
}

/**
 * A job worker over real PostgreSQL as the module wires it (the run-job use case with the given
 * connectors, the job metrics when a registry is given), for suites that drive the worker alone.
 */
export function jobWorker(
  ds: DataSource,
  connectors: ConnectorRegistry,
  options: WorkerOptions & { readonly retry: RetryPolicy },
  log: WorkerLog,
  extras: { readonly calls?: CallObserver; readonly registry?: Registry } = {},
): JobWorker {
  const jobs = new JobsRepository(ds);
  const runJob = new RunJob({
    jobs,
    connectors,
    clock: systemClock,
    retry: options.retry,
    log,
    describe: safeErrorMessage,
    traceCall: traceConnectorCall,
    ...(extras.calls ? { calls: extras.calls } : {}),
    ...(extras.registry ? { metrics: new PrometheusJobMetrics(extras.registry) } : {}),
  });
  return new JobWorker(jobs, runJob, systemClock, options, log, () => undefined);
}
