export * from './id';
export * from './errors';
export * from './asset';
export * from './money';
export * from './state-machine';
