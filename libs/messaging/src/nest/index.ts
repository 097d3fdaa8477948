export * from './inbox-context';
export * from './kafka-inbox.transport';
