import { errors as natsErrors } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';

/** Stable error codes of the messaging lib; a code is never reused for another meaning. */
export const MessagingErrorCodes = {
  /** An option or spec outside its allowed range (an empty subject, a zero batch, a bad name). */
  invalidOption: 'MESSAGING_ERR_INVALID_OPTION',
  /** The first connection to NATS could not be made within `connectTimeoutMs`. */
  connectFailed: 'MESSAGING_ERR_CONNECT_FAILED',
  /** A stream exists with settings that cannot be changed in place (storage, retention). */
  streamConflict: 'MESSAGING_ERR_STREAM_CONFLICT',
  /** The stream a consumer reads from does not exist (streams not ensured yet, or deleted); may appear later. */
  streamNotFound: 'MESSAGING_ERR_STREAM_NOT_FOUND',
  /** A durable consumer exists with settings that cannot be changed in place (ack or deliver policy). */
  consumerConflict: 'MESSAGING_ERR_CONSUMER_CONFLICT',
  /** The bus could not be reached in time: timeout, no responders, connection lost, stream full. */
  publishUnavailable: 'MESSAGING_ERR_PUBLISH_UNAVAILABLE',
  /** The bus refused the message and will refuse it again (too large, invalid subject, denied). */
  publishRejected: 'MESSAGING_ERR_PUBLISH_REJECTED',
  /** The encoded event is larger than the contracts allow; it was not sent. */
  payloadTooLarge: 'MESSAGING_ERR_PAYLOAD_TOO_LARGE',
  /** A message could not be decoded (not JSON, or the consumer's decoder refused it). */
  decodeFailed: 'MESSAGING_ERR_DECODE_FAILED',
  /** A handler did not settle within `handleTimeoutMs`. */
  handleTimeout: 'MESSAGING_ERR_HANDLE_TIMEOUT',
  /** A handler asked to retry later on the last delivery it was allowed. */
  retriesExhausted: 'MESSAGING_ERR_RETRIES_EXHAUSTED',
  /** A consumer runner still had work in flight when its stop time ran out. */
  stopTimeout: 'MESSAGING_ERR_STOP_TIMEOUT',
  /** JetStream could not be reached or could not answer right now (managing a stream or a consumer). */
  unavailable: 'MESSAGING_ERR_UNAVAILABLE',
  /** A NATS call did not answer within its time limit. */
  timeout: 'MESSAGING_ERR_TIMEOUT',
  /** An event to publish is not a valid CloudEvents envelope, or cannot be encoded as JSON. */
  invalidEvent: 'MESSAGING_ERR_INVALID_EVENT',
  /** A handler failed without a stable code of its own; the dead-letter headers carry this code then. */
  handlerFailed: 'MESSAGING_ERR_HANDLER_FAILED',
} as const;
export type MessagingErrorCode = (typeof MessagingErrorCodes)[keyof typeof MessagingErrorCodes];

/**
 * A failure of the messaging lib, with a stable `code`. `transient` says whether the same call may
 * succeed when simply tried again later; the underlying NATS error is kept as `cause`.
 */
export class MessagingError extends Error {
  override readonly name = 'MessagingError';
  readonly transient: boolean;

  constructor(
    readonly code: MessagingErrorCode,
    message: string,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.transient = options?.transient ?? false;
  }
}

// ---------------------------------------------------------------------------------------------
// Classification at the edge: could the bus not be reached, or did it say no?
// ---------------------------------------------------------------------------------------------

/** How many `cause` links the classifier follows; a cycle or a deep chain must not hang it. */
const CAUSE_DEPTH_MAX = 8;

/** JetStream answers 503 when it is temporarily unable to store (no leader, stream or disk full). */
const JETSTREAM_UNAVAILABLE_STATUS = 503;

/**
 * True when a NATS failure means "the bus could not be reached or could not take it right now":
 * a timeout, no responders (JetStream down or no stream yet), a lost, closed or draining connection,
 * or a 503 from JetStream (no leader, storage limits). Everything else — a message too large, an
 * invalid subject, a permission violation — will fail the same way again, so it is permanent.
 */
export function isTransientNatsError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && current instanceof Error; depth += 1) {
    if (current instanceof MessagingError) return current.transient;
    if (
      current instanceof natsErrors.TimeoutError ||
      current instanceof natsErrors.NoRespondersError ||
      current instanceof natsErrors.ConnectionError ||
      current instanceof natsErrors.ClosedConnectionError ||
      current instanceof natsErrors.DrainingConnectionError
    ) {
      return true;
    }
    if (current instanceof natsErrors.RequestError && current.isNoResponders()) return true;
    if (current instanceof JetStreamApiError) return current.status === JETSTREAM_UNAVAILABLE_STATUS;
    if (current instanceof natsErrors.PermissionViolationError || current instanceof natsErrors.InvalidArgumentError) {
      return false;
    }
    current = current.cause;
  }
  return false;
}

/**
 * True when a publish failed in a way worth retrying later (the outbox relay keeps the row and
 * backs off); false when retrying the same message cannot help (it is parked with its error).
 */
export function isTransientPublishError(error: unknown): boolean {
  if (error instanceof MessagingError) return error.transient;
  return isTransientNatsError(error);
}
