export * from './errors';
export * from './registry';
export * from './xdmod';
