export * from './context';
export * from './logger';
export * from './metrics';
export * from './redact';
export * from './failures';
export * from './tracing';
export * from './operator-metrics';
