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
export { DeadLetterHeaders, errorCodeOf, errorMessageOf } from './dead-letter';
export { RETRY_AFTER_MS_MAX } from './settlement';
export {
  COMMAND_ERROR_DETAILS_BYTES_MAX,
  COMMAND_ERROR_ISSUES_MAX,
  COMMAND_ERROR_MESSAGE_LENGTH_MAX,
  CommandError,
  errorBodyOf,
} from './command.error';
export {
  COMMAND_CONCURRENCY_MAX_DEFAULT,
  COMMAND_CONCURRENCY_MAX_LIMIT,
  COMMAND_CONTENT_TYPE,
  COMMAND_HANDLE_TIMEOUT_MS_DEFAULT,
  COMMAND_HANDLE_TIMEOUT_MS_MAX,
  COMMAND_PAYLOAD_BYTES_MAX,
  COMMAND_ROUTES_MAX,
  commandRoute,
  serveCommands,
  type AnyCommandRoute,
  type CommandHandlerContext,
  type CommandRoute,
  type CommandServer,
  type ServeCommandsOptions,
} from './command.server';
export {
  COMMAND_CALL_TIMEOUT_MS_MAX,
  createCommandClient,
  type CommandCallOptions,
  type CommandClient,
  type CommandClientOptions,
} from './command.client';
export { CommandOutcomes, type CommandOutcome } from './command.metrics';
export { Flags, setFlag, watchFlags, type Flag, type FlagValue, type FlagWatcher } from './flags';
