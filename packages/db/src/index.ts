export * from './create-db';
export * from './events';
export * from './knex-config';
export * from './messages.repository';
export * from './revoked-tokens.repository';
export * from './rooms.repository';
export * from './rows';
export * from './transaction';
