export * from './app-error';
export * from './config';
export * from './logger';
export * from './shutdown';
export * from './rate-limits';
export * from './session-tokens';
export * from './redis';
