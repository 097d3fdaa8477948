export * from './fixtures';
export * from './specification';
export * from './state-chart';
export * from './events';
export * from './request-events';
