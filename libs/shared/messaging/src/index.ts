export { connectNats, redactUrl, RECONNECT_FOREVER, type ConnectNatsOptions } from './connection';
export {
  MessagingError,
  MessagingErrorCodes,
  isTransientNatsError,
  isTransientPublishError,
  type MessagingErrorCode,
} from './errors';
export {
  MessageHeaders,
  HEADERS_COUNT_MAX,
  HEADER_VALUE_LENGTH_MAX,
  findHeader,
  headerValue,
  headersToRecord,
  recordGetter,
  recordSetter,
  recordToHeaders,
} from './headers';
export { withTimeout } from './timeout';
export {
  CONTEXT_STREAM_MAX_AGE_MS,
  DEAD_LETTERS_MAX_AGE_MS,
  DUPLICATE_WINDOW_MS,
  TELEGRAM_UPDATES_MAX_AGE_MS,
  ensureStreams,
  standardStreams,
  type StreamSpec,
} from './streams';
export {
  CLOUDEVENTS_CONTENT_TYPE,
  createEventPublisher,
  type EventPublisher,
  type EventPublisherOptions,
  type PublishResult,
} from './publisher';
export { CONSUMER_LIMITS, ensureConsumer, type ConsumerSpec } from './consumer.config';
export {
  HANDLE_TIMEOUT_MS_DEFAULT,
  startConsumer,
  type ConsumerHandle,
  type DeliveryContext,
  type HandleResult,
  type StartConsumerOptions,
} from './consumer.runner';
export { ConsumerOutcomes, type ConsumerOutcome } from './consumer.metrics';
export { DeadLetterHeaders } from './dead-letter';
export { RETRY_AFTER_MS_MAX } from './settlement';
