export * from './service.runtime';
export type { RuntimeConfig } from './runtime.config';
export { eventConsumerSpec, EVENT_CONSUMER_DEFAULTS } from './consumer-spec';
export { consumeEventOnce } from './consume-once';
