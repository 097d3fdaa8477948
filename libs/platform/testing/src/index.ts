export * from './embedded-postgres';
export * from './test-database';
