export * from './embedded-postgres';
export * from './test-database';
export * from './local-servers';
export * from './test-issuer';
export * from './message-keys';
