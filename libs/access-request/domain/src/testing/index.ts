export * from './fixtures';
export * from './specification';
