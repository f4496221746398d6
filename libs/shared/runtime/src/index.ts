export * from './service.runtime';
export type { RuntimeConfig } from './runtime.config';
export { eventConsumerSpec, EVENT_CONSUMER_DEFAULTS } from './consumer-spec';
export { consumeEventOnce } from './consume-once';
export { raiseAlert, ALERT_BUCKET_MS_DEFAULT, type AlertInput, type AlertTarget } from './raise-alert';
export { alertWhenBreakerStaysOpen, BREAKER_OPEN_ALERT_AFTER_MS_DEFAULT } from './breaker-alert';
export {
  startInboxHousekeeping,
  startServiceInboxHousekeeping,
  INBOX_PURGE_CHUNK_SIZE_DEFAULT,
  INBOX_PURGE_CHUNKS_PER_PASS_MAX,
  type InboxHousekeeping,
  type InboxHousekeepingOptions,
} from './inbox-housekeeping';
export { startHousekeepingLoop, type HousekeepingLoop, type HousekeepingLoopOptions, type HousekeepingTable } from './housekeeping.loop';
