export * from './create-db';
export * from './events';
export * from './knex-config';
export * from './rows';
