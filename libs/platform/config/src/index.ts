export * from './config';
export * from './common';
export * from './message-keys';
export * from './kafka';
