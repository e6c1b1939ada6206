export * from './errors';
export * from './limits';
export * from './models';
export * from './names';
export * from './rest';
export * from './events';
