import type { JSONType } from '@eventstore/db-client';

/**
 * An event as the domain sees it: a type and plain readonly data, serialised as JSON when
 * appended. Domain event types (readonly objects) fit as they are: no cast at the call site.
 */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata?: JSONType;
}

export interface EventToAppend extends DomainEvent {
  /** Stable ids make retries idempotent: the server recognises an append it already has. */
  readonly id?: string;
}

export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export type ExpectedRevision = bigint | 'no_stream' | 'any';
