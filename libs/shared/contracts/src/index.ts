export * from './envelope';
export * from './errors';
export * from './naming';
export * from './define-event';
export * from './events';
export * from './define-command';
export * from './ledger.commands';
export * from './chain.events';
