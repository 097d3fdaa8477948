import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { runWithContext } from '@kairos/observability';
import { MessageAuthenticationMissingError, messageAuthenticationOf, type AuthenticationRefusal, type MessageVerifier } from './authentication';
import { fromKafkaMessage, type ReceivedMessage } from './envelope';
import type { MessagePublisher } from './publisher';
import type { SchemaCheck } from './schemas';
import { withConsumeSpan } from './tracing';

/** Thrown by a handler when retrying can never help: the message goes straight to the dead-letter topic. */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

export type MessageHandler = (message: ReceivedMessage, tx: EntityManager) => Promise<void>;

export interface ConsumerLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface IdempotentConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly dataSource: DataSource;
  readonly publisher: MessagePublisher;
  readonly schemas: SchemaCheck;
  readonly handle: MessageHandler;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly deadLetterTopic?: string;
  readonly log?: ConsumerLog;
  readonly onOutcome?: (topic: string, outcome: 'processed' | 'duplicate' | 'dead_lettered') => void;
  /**
   * Failures that are not the message's fault (a dependency down): after the last attempt such a
   * message is handed back to Kafka to be redelivered, never dead-lettered.
   */
  readonly isTransient?: (error: unknown) => boolean;
  /** Partitions handled at once; order is kept within a partition (one request's messages share one). */
  readonly partitionsConsumedConcurrently?: number;
  /** Checks each message's signature and producer; the one bound to the Kafka client unless given. */
  readonly verifier?: MessageVerifier;
  /** A message refused because it does not prove who produced it (after it was dead-lettered). */
  readonly onRefused?: (topic: string, refusal: AuthenticationRefusal) => void;
  /** Messages of one partition handled in one PostgreSQL transaction (ADR 0024); 1 for one transaction each. */
  readonly maxMessagesPerTransaction?: number;
  /**
   * Whether the service handles messages of this CloudEvent type on this topic at all. A message it
   * does not is passed over before anything else (no signature check, no parsing, no transaction):
   * it cannot make the service act, so there is nothing to prove or record. Unset: every message is
   * of interest. A message without exactly one `ce_type` header is always checked (and refused).
   */
  readonly interested?: (topic: string, type: string) => boolean;
}

/** A message that proved its producer, parsed and checked against its schema: ready to handle. */
interface Checked {
  readonly message: KafkaMessage;
  readonly received: ReceivedMessage;
}

export const deadLetterTopicFor = (groupId: string): string => `${groupId}.dlq`;

/** The cluster lacks topics a service needs: `kairos setup` has not run against it (or under another prefix). */
export class MissingTopicsError extends Error {
  constructor(
    readonly topics: readonly string[],
    group: string,
  ) {
    super(`topic${topics.length > 1 ? 's' : ''} ${topics.join(', ')} missing on the Kafka cluster (needed by ${group}): run \`kairos setup\` first`);
    this.name = 'MissingTopicsError';
  }
}

/**
 * Group membership timing (ADR 0010). kafkajs has no static membership (KIP-345), so a member
 * killed with kill -9 stays in the group until its session runs out, and its successor's join waits
 * for that: a short session (heartbeats every second, also while one message is being handled)
 * bounds the blind time after a crash to a few seconds; a clean stop leaves the group at once.
 */
export const CONSUMER_SESSION_TIMEOUT_MS = 6_000;
export const CONSUMER_HEARTBEAT_INTERVAL_MS = 1_000;
export const CONSUMER_REBALANCE_TIMEOUT_MS = 15_000;

/**
 * At-least-once delivery made effectively-once: each message's id goes into the inbox in the same
 * PostgreSQL transaction as the handler's state change, so a redelivery finds its id and is
 * dropped. A message that keeps failing goes to the group's dead-letter topic with the error, and
 * the partition moves on.
 */
export class IdempotentConsumer {
  private readonly consumer: Consumer;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  readonly deadLetterTopic: string;
  private readonly verifier: MessageVerifier;
  private stopping = false;
  /** The member id of the current generation, while the consumer is really in its group. */
  private memberId?: string;
  private lastContact = 0;
  private admin?: Admin;
  private background?: Promise<void>;
  private joinedOnce?: Promise<void>;
  private markJoined?: () => void;

  constructor(private readonly options: IdempotentConsumerOptions) {
    const verifier = options.verifier ?? messageAuthenticationOf(options.kafka)?.verifier;
    if (!verifier) throw new MessageAuthenticationMissingError(`the consumer ${options.groupId}`);
    this.verifier = verifier;
    // A short fetch wait keeps shutdown quick; long-polling still answers as soon as data arrives.
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: CONSUMER_SESSION_TIMEOUT_MS,
      heartbeatInterval: CONSUMER_HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: CONSUMER_REBALANCE_TIMEOUT_MS,
      maxWaitTimeInMs: 1_000,
      allowAutoTopicCreation: false,
    });
    this.joinedOnce = new Promise((resolve) => (this.markJoined = resolve));
    const { GROUP_JOIN, FETCH, HEARTBEAT, REBALANCING, CRASH, DISCONNECT, STOP } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (event) => {
      this.memberId = event.payload.memberId;
      this.lastContact = Date.now();
      this.markJoined?.();
    });
    const contact = () => void (this.lastContact = Date.now());
    this.consumer.on(FETCH, contact);
    this.consumer.on(HEARTBEAT, contact);
    const out = () => void (this.memberId = undefined);
    for (const event of [REBALANCING, CRASH, DISCONNECT, STOP]) this.consumer.on(event, out);
    // kafkajs restarts a crashed consumer by itself: say why, naming a missing topic plainly.
    this.consumer.on(CRASH, (event) => {
      void this.assertTopicsExist()
        .then(() => event.payload.error, (missing: unknown) => (missing instanceof MissingTopicsError ? missing : event.payload.error))
        .then((error) => this.options.log?.warn('consumer crashed; restarting', { group: options.groupId, error: error instanceof Error ? error.message : String(error) }));
    });
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? 100;
    this.deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicFor(options.groupId);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      // Offsets are resolved one message at a time, after its transaction committed.
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /**
   * Starts consuming without waiting for the group join: a restarted service serves HTTP at once
   * while its consumer joins (and keeps trying while the broker is down). `joined()` resolves on
   * the first join; `ready()` says whether it is consuming now.
   */
  startInBackground(onError?: (error: unknown) => void): void {
    if (this.background) return;
    this.background = (async () => {
      for (let attempt = 0; !this.stopping; attempt++) {
        try {
          await this.start();
          return;
        } catch (error) {
          // A missing topic is named (kafkajs says only "does not host this topic-partition").
          onError?.(await this.assertTopicsExist().then(() => error, (missing: unknown) => (missing instanceof MissingTopicsError ? missing : error)));
          await this.consumer.disconnect().catch(() => undefined);
          await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** attempt, 5_000)));
        }
      }
    })();
  }

  /** Resolves once the consumer first joined its group. */
  joined(): Promise<void> {
    return this.joinedOnce!;
  }

  /**
   * Throws unless the consumer is really consuming: a member of the current generation, in touch
   * with the broker within one session, and listed by the broker as a member of a stable group.
   * A broker that is back after a restart is not enough: the consumer must have rejoined.
   */
  async ready(): Promise<void> {
    const group = this.options.groupId;
    if (!this.memberId) {
      // Named when that is why (a broker that cannot be asked says only "not in its group").
      const missing = await this.assertTopicsExist().then(() => undefined, (error: unknown) => (error instanceof MissingTopicsError ? error : undefined));
      throw missing ?? new Error(`consumer ${group} is not in its group (joining or rejoining)`);
    }
    const silence = Date.now() - this.lastContact;
    if (silence > CONSUMER_SESSION_TIMEOUT_MS) throw new Error(`consumer ${group} has not reached the broker for ${silence} ms`);
    this.admin ??= this.options.kafka.admin();
    await this.admin.connect();
    const { groups } = await this.admin.describeGroups([group]);
    const described = groups.find((g) => g.groupId === group);
    if (!described || described.state !== 'Stable') throw new Error(`consumer group ${group} is ${described?.state ?? 'unknown'}, not Stable`);
    if (!described.members.some((m) => m.memberId === this.memberId)) throw new Error(`consumer ${group} is no longer a member of its group`);
  }

  /**
   * Throws naming the topics this consumer reads or dead-letters to that the cluster lacks: nothing
   * creates them but `kairos setup`, so a service started before it says so instead of retrying blind.
   */
  async assertTopicsExist(): Promise<void> {
    this.admin ??= this.options.kafka.admin();
    await this.admin.connect();
    const existing = new Set(await this.admin.listTopics());
    const missing = [...this.options.topics, this.deadLetterTopic].filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new MissingTopicsError(missing, this.options.groupId);
  }

  /**
   * The group's lag per topic-partition as the broker sees it: the high watermark minus the
   * group's committed offset (the whole partition, from its low watermark, while nothing is committed).
   */
  async lag(): Promise<{ topic: string; partition: number; lag: number }[]> {
    this.admin ??= this.options.kafka.admin();
    await this.admin.connect();
    const admin = this.admin;
    const committed = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [...this.options.topics] });
    const result: { topic: string; partition: number; lag: number }[] = [];
    for (const topic of this.options.topics) {
      const marks = await admin.fetchTopicOffsets(topic);
      const offsets = committed.find((t) => t.topic === topic)?.partitions ?? [];
      for (const mark of marks) {
        const at = Number(offsets.find((p) => p.partition === mark.partition)?.offset ?? -1);
        const from = at >= 0 ? at : Number(mark.low);
        result.push({ topic, partition: mark.partition, lag: Math.max(0, Number(mark.high) - from) });
      }
    }
    return result;
  }

  /** Leaves the group on the way down (LeaveGroup), so a successor joins without waiting out a session. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
    if (this.background) {
      await this.background;
      // A start that was in flight may have connected after the first disconnect.
      await this.consumer.disconnect();
    }
    await this.admin?.disconnect().catch(() => undefined);
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    // The session is short: keep it alive while a batch, or one message in it, takes long (a slow dependency).
    const keepAlive = setInterval(() => void payload.heartbeat().catch(() => undefined), CONSUMER_HEARTBEAT_INTERVAL_MS);
    try {
      await this.handleBatch(payload);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * One partition's messages, in order. Each is checked on its own first (signature, envelope,
   * schema; a refusal is dead-lettered where it stands); runs of good messages between refusals are
   * handled in one transaction. An offset is resolved only after its message's transaction committed.
   */
  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    // Offsets are resolved in order: a message passed over while a run is pending is resolved once
    // the run is (resolving it first would commit past messages not handled yet).
    let lastResolved = -1n;
    let passedOverUpTo = -1n;
    const resolve = (offset: string) => {
      resolveOffset(offset);
      const at = BigInt(offset);
      if (at > lastResolved) lastResolved = at;
    };
    const resolvePassedOver = () => {
      if (passedOverUpTo > lastResolved) resolve(passedOverUpTo.toString());
    };
    // KAIROS_INBOX_BATCH=1 brings back one transaction per message (to measure the difference).
    const limit = Math.max(1, this.options.maxMessagesPerTransaction ?? (Number(process.env.KAIROS_INBOX_BATCH) || 100));
    let run: Checked[] = [];
    const flush = async () => {
      while (run.length > 0) {
        const { committed, failedAt } = await this.processRun(topic, run);
        for (const item of run.slice(0, committed)) resolve(item.message.offset);
        if (failedAt === undefined) {
          run = [];
        } else {
          // Every message before the failing one goes again as a run (they did not fail); the failing
          // one alone, with its own retries in place; then the rest.
          const before = run.slice(0, failedAt);
          const failing = run[failedAt]!;
          run = run.slice(failedAt + 1);
          if (before.length > 0) {
            const again = await this.processRun(topic, before);
            for (const item of before.slice(0, again.committed)) resolve(item.message.offset);
            for (const item of before.slice(again.committed)) {
              if (!isRunning() || isStale()) return;
              await this.handleAlone(topic, partition, item, heartbeat);
              resolve(item.message.offset);
            }
          }
          if (!isRunning() || isStale()) return;
          await this.handleAlone(topic, partition, failing, heartbeat);
          resolve(failing.message.offset);
        }
        await heartbeat();
        await commitOffsetsIfNecessary();
      }
      resolvePassedOver();
    };
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      if (!this.ofInterest(topic, message)) {
        if (run.length === 0) resolve(message.offset);
        else passedOverUpTo = BigInt(message.offset);
        continue;
      }
      const checked = await this.check(topic, partition, message);
      if (checked) {
        run.push(checked);
        if (run.length >= limit) await flush();
        continue;
      }
      // Refused and dead-lettered: the messages before it are committed first, so order holds.
      await flush();
      resolve(message.offset);
    }
    if (!isRunning() || isStale()) return;
    await flush();
    await commitOffsetsIfNecessary();
  }

  private ofInterest(topic: string, message: KafkaMessage): boolean {
    const interested = this.options.interested;
    if (!interested) return true;
    const type = message.headers?.ce_type;
    if (type === undefined || type === null || Array.isArray(type)) return true;
    return interested(topic, type.toString());
  }

  /** Checks one message before anything reads it; a refused one is dead-lettered here and `undefined` returned. */
  private async check(topic: string, partition: number, message: KafkaMessage): Promise<Checked | undefined> {
    // Before anything reads it: being able to write to a topic must not be enough to make us act.
    const authentication = this.verifier.verify(topic, message);
    if (!authentication.ok) {
      this.options.log?.error('security alarm: message refused, it does not prove who produced it', {
        alarm: 'message_authentication',
        refusal: authentication.refusal,
        reason: authentication.reason,
        topic,
        partition,
        offset: message.offset,
        keyId: authentication.keyId,
      });
      // Its claimed ce_id is not trusted either: inbox it under its offset, so a forgery can never
      // shadow the genuine message that carries the same id.
      await this.deadLetter(topic, partition, message, `authentication: ${authentication.refusal}: ${authentication.reason}`, 0, `${topic}:${partition}:${message.offset}`);
      this.options.onRefused?.(topic, authentication.refusal);
      return undefined;
    }
    const parsed = fromKafkaMessage(topic, partition, message);
    if (!parsed.ok) {
      await this.deadLetter(topic, partition, message, parsed.reason, 0, `${topic}:${partition}:${message.offset}`);
      return undefined;
    }
    const received = parsed.message;
    const problems = this.options.schemas(topic, received.type, received.data, 'receive');
    if (problems) {
      await this.deadLetter(topic, partition, message, `schema: ${problems}`, 0, received.id);
      return undefined;
    }
    return { message, received };
  }

  /**
   * Handles a run of checked messages in one transaction: one inbox insert for all of them, then
   * each new one's handler in order. Either all of them are committed, or none: then `failedAt` is
   * the message whose handler failed (0 when the transaction itself did, or for a run of one, which
   * is always handled alone).
   */
  private async processRun(topic: string, run: readonly Checked[]): Promise<{ committed: number; failedAt?: number }> {
    if (run.length === 1) return { committed: 0, failedAt: 0 };
    let outcomes: ('processed' | 'duplicate')[];
    let at = 0;
    try {
      outcomes = await this.options.dataSource.transaction(async (tx) => {
        const fresh = await this.claim(tx, run.map((item) => item.received));
        const result: ('processed' | 'duplicate')[] = [];
        for (const { received } of run) {
          // A duplicate inside the run (the same id twice) is handled once, like one across runs.
          if (!fresh.delete(received.id)) {
            result.push('duplicate');
          } else {
            await runWithContext({ correlationId: received.correlationId, traceparent: received.traceparent }, () =>
              withConsumeSpan(this.options.groupId, received, () => this.options.handle(received, tx)),
            );
            result.push('processed');
          }
          at++;
        }
        return result;
      });
    } catch {
      return { committed: 0, failedAt: at < run.length ? at : 0 };
    }
    for (const outcome of outcomes) this.options.onOutcome?.(topic, outcome);
    return { committed: run.length };
  }

  /** Inserts the messages' ids into the inbox; returns the ids that were not there yet. */
  private async claim(tx: EntityManager, messages: readonly ReceivedMessage[]): Promise<Set<string>> {
    const rows: { message_id: string }[] = await tx.query(
      `INSERT INTO messaging_inbox (consumer_group, message_id, topic, partition, "offset", outcome)
       SELECT $1, m.id, m.topic, m.partition, m.off, 'processed'
         FROM unnest($2::text[], $3::text[], $4::int[], $5::bigint[]) WITH ORDINALITY AS m(id, topic, partition, off, n)
        ORDER BY m.n
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [this.options.groupId, messages.map((m) => m.id), messages.map((m) => m.topic), messages.map((m) => m.partition), messages.map((m) => m.offset)],
    );
    return new Set(rows.map((r) => r.message_id));
  }

  /** One message alone, in its own transaction, retried in place while it fails (the rules before ADR 0024). */
  private async handleAlone(topic: string, partition: number, { message, received }: Checked, heartbeat: () => Promise<void>): Promise<void> {
    await runWithContext({ correlationId: received.correlationId, traceparent: received.traceparent }, () => withConsumeSpan(this.options.groupId, received, async (span) => {
      for (let attempt = 1; ; attempt++) {
        span.setAttribute('kairos.attempts', attempt);
        try {
          const outcome = await this.process(received);
          this.options.onOutcome?.(topic, outcome);
          return;
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          if (error instanceof PoisonMessageError) return this.deadLetter(topic, partition, message, reason, attempt, received.id);
          // A dependency that is down (our database, or one the handler names transient) is not the
          // message's fault: keep the partition where it is and retry until it is back, instead of
          // dead-lettering a healthy message.
          const blocked = attempt >= this.maxAttempts && (this.options.isTransient?.(error) || !(await this.databaseUp()));
          if (attempt >= this.maxAttempts && !blocked) return this.deadLetter(topic, partition, message, reason, attempt, received.id);
          if (this.stopping) throw error;
          this.options.log?.warn(blocked ? 'message blocked by a failing dependency; retrying' : 'message handling failed; retrying', { topic, type: received.type, id: received.id, attempt, reason });
          await heartbeat();
          await new Promise((r) => setTimeout(r, Math.min(this.backoffMs * 2 ** (attempt - 1), 5_000)));
        }
      }
    }));
  }

  private async process(message: ReceivedMessage): Promise<'processed' | 'duplicate'> {
    return this.options.dataSource.transaction(async (tx) => {
      const inserted: unknown[] = await tx.query(
        `INSERT INTO messaging_inbox (consumer_group, message_id, topic, partition, "offset", outcome)
         VALUES ($1, $2, $3, $4, $5, 'processed') ON CONFLICT DO NOTHING RETURNING 1`,
        [this.options.groupId, message.id, message.topic, message.partition, message.offset],
      );
      if (inserted.length === 0) return 'duplicate';
      await this.options.handle(message, tx);
      return 'processed';
    });
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number, id: string): Promise<void> {
    this.options.log?.error('message dead-lettered', { topic, partition, offset: message.offset, reason, deadLetterTopic: this.deadLetterTopic });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      if (value !== undefined) headers[name] = (Array.isArray(value) ? value[0] : value)?.toString() ?? '';
    }
    await this.options.publisher.publishRaw(this.deadLetterTopic, [
      {
        key: message.key ? message.key.toString() : null,
        value: message.value,
        headers: {
          ...headers,
          'x-kairos-dlq-reason': reason.slice(0, 2_000),
          'x-kairos-dlq-topic': topic,
          'x-kairos-dlq-partition': String(partition),
          'x-kairos-dlq-offset': message.offset,
          'x-kairos-dlq-attempts': String(attempts),
          'x-kairos-dlq-group': this.options.groupId,
        },
      },
    ]);
    await this.options.dataSource.query(
      `INSERT INTO messaging_inbox (consumer_group, message_id, topic, partition, "offset", outcome)
       VALUES ($1, $2, $3, $4, $5, 'dead_lettered') ON CONFLICT DO NOTHING`,
      [this.options.groupId, id, topic, partition, message.offset],
    );
    this.options.onOutcome?.(topic, 'dead_lettered');
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await this.options.dataSource.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }
}
