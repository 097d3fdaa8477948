export * from './commands';
export * from './decide';
export * from './decider';
export * from './duration';
export * from './errors';
export * from './messages';
export * from './state';
export * from './view';
