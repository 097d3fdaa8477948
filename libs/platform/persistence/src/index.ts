export * from './data-source';
export * from './postgres.module';
export * from './pg-text';
export * from './sql';
export * from './single-active';
