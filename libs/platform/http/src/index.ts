export * from './problem';
export * from './problem.filter';
export * from './validation';
export * from './readiness';
export * from './health.controller';
export * from './platform.module';
export * from './bootstrap';
export * from './correlation.middleware';
