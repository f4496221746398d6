import type { JetStreamClient } from '@nats-io/jetstream';
import { context, propagation } from '@opentelemetry/api';
import { EVENT_SIZE_BYTES_MAX, cloudEventEnvelopeSchema, type CloudEvent } from '@strongbox/shared-contracts';
import { MessagingError, MessagingErrorCodes, isTransientNatsError } from './errors';
import { HEADERS_COUNT_MAX, MessageHeaders, headerValue, recordSetter, recordToHeaders } from './headers';
import { isValidSubject } from './subjects';
import { assertIntegerInRange } from './timeout';

// ---------------------------------------------------------------------------------------------
// Publishing CloudEvents to JetStream, de-duplicated by event id.
// ---------------------------------------------------------------------------------------------

/** What JetStream said about one publish. */
export interface PublishResult {
  readonly stream: string;
  readonly seq: number;
  /** True when the stream already held a message with this event id (within its duplicate window). */
  readonly duplicate: boolean;
}

/** Publishes events; the outbox relay is its main caller. */
export interface EventPublisher {
  /**
   * Publishes `event` on `subject` and resolves once JetStream has stored it. Fails with a
   * MessagingError whose `transient` says whether trying again later may help.
   */
  publish(subject: string, event: CloudEvent, headers?: Readonly<Record<string, string>>): Promise<PublishResult>;
}

export interface EventPublisherOptions {
  /** How long one publish may wait for JetStream's acknowledgement. */
  readonly timeoutMs: number;
}

/** The media type of a structured-mode CloudEvent in JSON (CloudEvents JSON format, section 3). */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/**
 * Header names a caller may not set: the lib writes the envelope headers itself (they must match
 * the body), and `Nats-*` headers steer the server (de-duplication, expectations, rollups).
 */
const RESERVED_HEADER_NAMES = new Set(
  [
    MessageHeaders.contentType,
    MessageHeaders.cloudEventId,
    MessageHeaders.cloudEventType,
    MessageHeaders.cloudEventSource,
    MessageHeaders.cloudEventSpecVersion,
  ].map((name) => name.toLowerCase()),
);
const SERVER_HEADER_PREFIX = 'nats-';
/** Printable ASCII except `:`, as NATS (and HTTP) require of header names. */
const HEADER_NAME_PATTERN = /^[!-9;-~]{1,128}$/;

/**
 * Creates the publisher. Each event goes out as structured CloudEvents JSON with
 * `Nats-Msg-Id` = `event.id`, so a re-publish within the stream's duplicate window is stored once
 * (`duplicate: true`). The envelope attributes are repeated as `ce-*` headers for routing and
 * tooling that does not parse bodies. `traceparent`/`tracestate` come from `headers` when given
 * (the outbox keeps the producer's), otherwise from the active OpenTelemetry context.
 *
 * Errors: MESSAGING_ERR_INVALID_OPTION (bad subject or header), MESSAGING_ERR_INVALID_EVENT (not a
 * valid envelope), MESSAGING_ERR_PAYLOAD_TOO_LARGE (over EVENT_SIZE_BYTES_MAX) are permanent and
 * send nothing; MESSAGING_ERR_PUBLISH_UNAVAILABLE (timeout, no stream, connection lost) is
 * transient; MESSAGING_ERR_PUBLISH_REJECTED (the server refused) is permanent.
 *
 * @example
 * const publisher = createEventPublisher(jetstream(nc), { timeoutMs: 5_000 });
 * const { duplicate } = await publisher.publish(eventSubject(ns, event.type), event);
 */
export function createEventPublisher(js: JetStreamClient, options: EventPublisherOptions): EventPublisher {
  assertIntegerInRange('timeoutMs', options.timeoutMs, 1);
  const { timeoutMs } = options;
  return {
    async publish(subject, event, headers = {}) {
      if (!isValidSubject(subject, { wildcards: false })) {
        throw new MessagingError(MessagingErrorCodes.invalidOption, `"${subject}" is not a publishable subject`);
      }
      const body = encodeEvent(event);
      const messageHeaders = publishHeaders(event, headers);
      try {
        const ack = await js.publish(subject, body, {
          msgID: event.id,
          timeout: timeoutMs,
          headers: recordToHeaders(messageHeaders),
          // One attempt: retrying is the caller's decision (the outbox relay backs off and tries again).
          retries: 1,
        });
        return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        throw classifyPublishError(subject, error);
      }
    },
  };
}

/**
 * The JSON body of `event`, after checking its envelope and its size. Throws
 * MESSAGING_ERR_INVALID_EVENT or MESSAGING_ERR_PAYLOAD_TOO_LARGE.
 */
export function encodeEvent(event: CloudEvent): Uint8Array {
  const envelope = cloudEventEnvelopeSchema.safeParse(event);
  if (!envelope.success) {
    const problems = envelope.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; ');
    throw new MessagingError(MessagingErrorCodes.invalidEvent, `not a valid CloudEvent: ${problems}`);
  }
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch (error) {
    // A bigint or a cycle in `data`: amounts travel as decimal strings, never as JSON numbers.
    throw new MessagingError(MessagingErrorCodes.invalidEvent, `event ${event.id} cannot be encoded as JSON`, { cause: error });
  }
  const body = new TextEncoder().encode(json);
  if (body.byteLength > EVENT_SIZE_BYTES_MAX) {
    throw new MessagingError(
      MessagingErrorCodes.payloadTooLarge,
      `event ${event.id} (${event.type}) is ${body.byteLength} bytes; at most ${EVENT_SIZE_BYTES_MAX} may be published`,
    );
  }
  return body;
}

/**
 * The headers of one published event: the caller's, the trace context (the caller's when given,
 * else the active one), then the envelope headers. Throws MESSAGING_ERR_INVALID_OPTION for a
 * reserved or malformed header name, or too many headers.
 */
export function publishHeaders(event: CloudEvent, callerHeaders: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(callerHeaders);
  // Room is left for the trace context and the five envelope headers.
  if (entries.length > HEADERS_COUNT_MAX - 7) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `at most ${HEADERS_COUNT_MAX - 7} headers may be given, got ${entries.length}`);
  }
  const result: Record<string, string> = {};
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME_PATTERN.test(name)) throw new MessagingError(MessagingErrorCodes.invalidOption, `"${name}" is not a valid header name`);
    if (RESERVED_HEADER_NAMES.has(lower) || lower.startsWith(SERVER_HEADER_PREFIX)) {
      throw new MessagingError(MessagingErrorCodes.invalidOption, `header "${name}" is set by the publisher and may not be given`);
    }
    result[name] = value;
  }
  const hasTraceparent = Object.keys(result).some((name) => name.toLowerCase() === MessageHeaders.traceparent);
  if (!hasTraceparent) {
    // `tracestate` without its `traceparent` means nothing; the active context replaces both.
    for (const name of Object.keys(result)) {
      if (name.toLowerCase() === MessageHeaders.tracestate) delete result[name];
    }
    propagation.inject(context.active(), result, recordSetter);
  }
  result[MessageHeaders.contentType] = CLOUDEVENTS_CONTENT_TYPE;
  result[MessageHeaders.cloudEventId] = headerValue(event.id);
  result[MessageHeaders.cloudEventType] = headerValue(event.type);
  result[MessageHeaders.cloudEventSource] = headerValue(event.source);
  result[MessageHeaders.cloudEventSpecVersion] = headerValue(event.specversion);
  return result;
}

/** Maps a NATS failure to MESSAGING_ERR_PUBLISH_UNAVAILABLE (transient) or _REJECTED (permanent). */
export function classifyPublishError(subject: string, error: unknown): MessagingError {
  if (error instanceof MessagingError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isTransientNatsError(error)) {
    return new MessagingError(MessagingErrorCodes.publishUnavailable, `publish to ${subject} failed for now: ${reason}`, {
      cause: error,
      transient: true,
    });
  }
  return new MessagingError(MessagingErrorCodes.publishRejected, `publish to ${subject} was refused: ${reason}`, { cause: error });
}
