import { BaseRpcContext } from '@nestjs/microservices';
import type { EntityManager } from 'typeorm';
import type { ReceivedMessage } from '../envelope';

/**
 * What an `@EventPattern` handler of the Kafka inbox gets with `@Ctx()`: the message (checked:
 * signed by its producer, a valid CloudEvent, its data valid against its schema) and the inbox
 * transaction. Write in `transaction`: the writes commit with the message's inbox row, or not at all.
 */
export class InboxContext extends BaseRpcContext<[ReceivedMessage, EntityManager]> {
  private failure?: { readonly error: unknown };

  constructor(message: ReceivedMessage, transaction: EntityManager) {
    super([message, transaction]);
  }

  /** The message as received: id, type, topic, key, subject, correlation id, data. */
  get message(): ReceivedMessage {
    return this.args[0];
  }

  /** The EntityManager of the inbox transaction this message is handled in. */
  get transaction(): EntityManager {
    return this.args[1];
  }

  /** @internal Set by `InboxErrorFilter`: the handler's own error, before Nest's RPC layer replaced it. */
  recordFailure(error: unknown): void {
    this.failure ??= { error };
  }

  /** @internal The handler's own error, if it threw one. */
  get recordedFailure(): { readonly error: unknown } | undefined {
    return this.failure;
  }
}
