export * from './kafka.module';
export * from './envelope';
export * from './schemas';
export * from './publisher';
export * from './outbox';
export * from './consumer';
export * from './migrations';
export * from './messaging-runtime';
