export type { DomainEvent, EventToAppend, ExpectedRevision, LogPosition } from './domain-event';
export { append, withSchemaVersion, type AppendOptions, type AppendResult } from './append';
export { loadAggregate, type LoadedAggregate, type RecordedJsonEvent } from './load-aggregate';
export { handleCommand, ConcurrencyRetriesExhaustedError, type CommandResult, type Decider } from './handle-command';
export { categoryEventOf, DEFAULT_MAX_BATCH, subscribeToCategory, subscribeToCategoryInBatches, type CategoryEvent, type CategorySubscription } from './subscribe-to-category';
export { PgCheckpointStore, type Queryable } from './pg-checkpoint-store';
export { EventStoreModule } from './event-store.module';
export {
  batchedProjection,
  describeFailure,
  parkedEventsGauge,
  parkingHandler,
  PgParkedEvents,
  type AfterCommit,
  type BatchedProjectionOptions,
  type ParkedEvent,
  type ParkingLog,
  type ParkingOptions,
} from './parked-events';
export { projectionLagSeconds } from './projection-lag';
