import { Catch, type ArgumentsHost, type INestApplication, type RpcExceptionFilter } from '@nestjs/common';
import { NestMicroservice, Server, type CustomTransportStrategy, type MessageHandler as NestMessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { EntityManager } from 'typeorm';
import { Refusal } from '@kairos/refusal';
import { PoisonMessageError } from '../consumer';
import type { ReceivedMessage } from '../envelope';
import type { MessagingRuntime } from '../messaging-runtime';
import { InboxContext } from './inbox-context';

/**
 * A handler refused the message (a `Refusal` of @kairos/refusal other than `unavailable` or
 * `upstream_failed`): retrying cannot change the answer, so the message is dead-lettered at once,
 * with the refusal's code and detail as the reason.
 */
export class RefusedMessageError extends PoisonMessageError {
  constructor(readonly refusal: Refusal) {
    super(`${refusal.code}: ${refusal.detail}`);
    this.name = 'RefusedMessageError';
  }
}

/**
 * What the runtime sees of a handler's error. A refusal that is the message's answer (invalid,
 * forbidden, not found, conflict…) is poison; one that says a dependency is away (`unavailable`,
 * `upstream_failed`) stays as it is: retried in place like any other failure (`unavailable` is
 * transient to the runtime, so never dead-lettered).
 */
function asRuntimeError(error: unknown): unknown {
  if (error instanceof Refusal && error.kind !== 'unavailable' && error.kind !== 'upstream_failed') return new RefusedMessageError(error);
  return error;
}

/**
 * Nest's RPC layer (RpcProxy + BaseRpcExceptionFilter) turns any error a handler throws into
 * `{ status: 'error', message: 'Internal server error' }`, losing what the runtime needs to decide
 * between retrying in place and dead-lettering. This filter, registered on the inbox microservice by
 * `startKafkaInbox`, keeps the original: it records it on the InboxContext and rethrows it as is.
 */
@Catch()
export class InboxErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const context: unknown = host.switchToRpc().getContext();
    if (context instanceof InboxContext) context.recordFailure(exception);
    return throwError(() => exception);
  }
}

/** Nest's own replacement of an error (what BaseRpcExceptionFilter emits), found where the original should be. */
const isNestErrorReplacement = (value: unknown): value is { status: 'error'; message: unknown } =>
  typeof value === 'object' && value !== null && !(value instanceof Error) && (value as { status?: unknown }).status === 'error';

/**
 * `@nestjs/microservices` custom transport over `MessagingRuntime`: the library still owns the
 * consumer group, the inbox transaction, retries in place and the dead-letter topic (ADR 0010); Nest
 * only routes each checked message to an `@EventPattern` handler:
 *
 * - the handler of the message's CloudEvent type (`@EventPattern('GrantSucceeded')`), else
 * - the handler of its topic (`@EventPattern('access-request.events')`), else
 * - none: the message is of no interest to this service. It is passed over before it is read (no
 *   signature check, parsing or transaction: it cannot make the service act) and its offset
 *   committed in order with the rest. A service that takes a topic's few types by name pays nothing
 *   for the others (issue 17).
 *
 * The handler runs inside the message's inbox transaction (`@Ctx() context: InboxContext`,
 * `context.transaction`); its promise or observable is awaited before the transaction commits, and
 * the error it throws reaches the runtime unchanged (see `InboxErrorFilter`).
 */
export class KafkaInboxTransport extends Server implements CustomTransportStrategy {
  constructor(private readonly runtime: MessagingRuntime) {
    super();
  }

  override addHandler(pattern: unknown, callback: NestMessageHandler, isEventHandler = false, extras: Record<string, unknown> = {}): void {
    if (typeof pattern !== 'string') {
      throw new Error(`the Kafka inbox routes by CloudEvent type or topic name: pattern ${JSON.stringify(pattern)} is not a string`);
    }
    if (!isEventHandler) {
      throw new Error(`the Kafka inbox sends no replies: handle "${pattern}" with @EventPattern, not @MessagePattern`);
    }
    // Two handlers of one pattern would run concurrently on one transaction, in no set order.
    if (this.messageHandlers.has(this.normalizePattern(pattern))) {
      throw new Error(`two @EventPattern('${pattern}') handlers: the Kafka inbox runs one handler per message type or topic`);
    }
    super.addHandler(pattern, callback, isEventHandler, extras);
  }

  /** Binds the dispatch to the runtime and starts it (the consumer joins its group in the background). */
  listen(callback: (error?: unknown) => void): void {
    try {
      this.runtime.bind(
        (message, tx) => this.dispatch(message, tx),
        (topic, type) => this.messageHandlers.has(type) || this.messageHandlers.has(topic),
      );
    } catch (error) {
      callback(error);
      return;
    }
    this.runtime.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Stops the consumer (it leaves its group), the outbox relay and the publisher. */
  async close(): Promise<void> {
    await this.runtime.stop();
  }

  on(): never {
    throw new Error('KafkaInboxTransport has no events to listen to: use the MessagingRuntime (onOutcome, readiness)');
  }

  unwrap<T>(): T {
    return this.runtime as T;
  }

  /** The handler for a message: its type's, else its topic's, else none (of no interest). */
  handlerFor(message: Pick<ReceivedMessage, 'type' | 'topic'>): NestMessageHandler | undefined {
    return this.messageHandlers.get(message.type) ?? this.messageHandlers.get(message.topic);
  }

  private async dispatch(message: ReceivedMessage, transaction: EntityManager): Promise<void> {
    const handler = this.handlerFor(message);
    if (!handler) return;
    const context = new InboxContext(message, transaction);
    try {
      const result: unknown = await handler(message.data, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    } catch (error) {
      const recorded = context.recordedFailure;
      if (recorded) throw asRuntimeError(recorded.error);
      if (isNestErrorReplacement(error)) {
        throw new Error(
          `the handler of ${message.type} failed, and a Nest exception filter replaced its error with ${JSON.stringify(error)}: start the transport with startKafkaInbox (it keeps the original error)`,
        );
      }
      throw asRuntimeError(error);
    }
  }
}

/**
 * Connects the Kafka inbox of `runtime` to `app` and starts it: every `@EventPattern` handler of the
 * app's controllers becomes a consumer of the runtime's topics. `app.close()` stops it.
 *
 * The microservice does not inherit the app's HTTP configuration (its guards, pipes and problem+json
 * filter are for HTTP requests; messages are authenticated and schema-checked by the runtime).
 */
export async function startKafkaInbox(app: INestApplication, runtime: MessagingRuntime): Promise<KafkaInboxTransport> {
  const transport = new KafkaInboxTransport(runtime);
  // Deferred so the error filter is registered before the handlers are created (it is read then),
  // then registered as connectMicroservice does without deferral (the app's init hooks ran already).
  const microservice = app.connectMicroservice({ strategy: transport }, { inheritAppConfig: false, deferInitialization: true });
  if (!(microservice instanceof NestMicroservice)) throw new Error('connectMicroservice did not return a NestMicroservice');
  microservice.useGlobalFilters(new InboxErrorFilter());
  microservice.registerListeners();
  microservice.setIsInitialized(true);
  microservice.setIsInitHookCalled(true);
  await app.startAllMicroservices();
  return transport;
}
