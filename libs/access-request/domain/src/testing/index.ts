export * from './fixtures';
export * from './specification';
export * from './state-chart';
export * from './events';
