export * from './axivion';
export * from './errors';
export * from './registry';
export * from './sodar';
export * from './xdmod';
