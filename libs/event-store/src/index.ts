export type { DomainEvent, EventToAppend, ExpectedRevision, LogPosition } from './domain-event';
export { append, type AppendResult } from './append';
export { loadAggregate, type LoadedAggregate } from './load-aggregate';
export { handleCommand, ConcurrencyRetriesExhaustedError, type CommandResult, type Decider } from './handle-command';
export { subscribeToCategory, type CategoryEvent } from './subscribe-to-category';
export { PgCheckpointStore, type Queryable } from './pg-checkpoint-store';
export { EventStoreModule } from './event-store.module';
