import { errors as natsErrors, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { CommandErrorCodes, NAMESPACE_PATTERN, commandReplySchema, commandTypeSubject, type CommandDefinition } from '@strongbox/shared-contracts';
import type { z } from 'zod';
import { CommandError, issuesDetails, issuesSummary } from './command.error';
import { COMMAND_CONTENT_TYPE, COMMAND_PAYLOAD_BYTES_MAX } from './command.server';
import { MessagingError, MessagingErrorCodes } from './errors';
import { HEADERS_COUNT_MAX, MessageHeaders, recordSetter, recordToHeaders } from './headers';
import { assertIntegerInRange } from './timeout';

// ---------------------------------------------------------------------------------------------
// The typed command client: validate locally, request with a time limit inside the caller's
// trace, and turn every answer — or the lack of one — into a typed result or a CommandError.
// ---------------------------------------------------------------------------------------------

export interface CommandClientOptions {
  /** The deployment's namespace (`sb`); commands go to `<namespace>.<command type>`. */
  readonly namespace: string;
  /** How long a call waits for its reply unless the call says otherwise. */
  readonly timeoutMs: number;
}

export interface CommandCallOptions {
  /** Overrides the client's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
  /** Extra request headers; a `traceparent` given here wins over the active trace context. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CommandClient {
  /**
   * Sends `request` as `command` and resolves with the validated response. Throws CommandError:
   * COMMAND_ERR_INVALID_REQUEST (refused locally, nothing sent), COMMAND_ERR_UNAVAILABLE (no server,
   * no reply in time, bus away — retryable), COMMAND_ERR_INVALID_REPLY (the reply broke the
   * contract), or the server's own error code with its `retryable` and `details`.
   */
  call<C extends CommandDefinition>(command: C, request: z.input<C['request']>, options?: CommandCallOptions): Promise<z.output<C['response']>>;
}

/** Longest time one call may wait; a command slower than this is a job, not a request. */
export const COMMAND_CALL_TIMEOUT_MS_MAX = 5 * 60 * 1_000;

/** Printable ASCII except `:`, as NATS (and HTTP) require of header names. */
const HEADER_NAME_PATTERN = /^[!-9;-~]{1,128}$/;
/** `Nats-*` headers steer the server; Content-Type is the client's own. */
const SERVER_HEADER_PREFIX = 'nats-';
const RESERVED_HEADER_NAMES = new Set([MessageHeaders.contentType.toLowerCase()]);
/** How many `cause` links the classifier follows. */
const CAUSE_DEPTH_MAX = 8;

const tracer = trace.getTracer('@strongbox/shared-messaging');
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * A client for commands served by `serveCommands` on the same namespace. Throws
 * MESSAGING_ERR_INVALID_OPTION for a bad namespace or timeout.
 *
 * A call that times out may still have been executed by the server: retry a command that moves
 * money with the same idempotency key, and it runs at most once.
 *
 * @example
 * const ledger = createCommandClient(nc, { namespace: 'sb', timeoutMs: 5_000 });
 * const balance = await ledger.call(getBalanceV1, { userId, asset: 'USDT' });
 */
export function createCommandClient(nc: NatsConnection, options: CommandClientOptions): CommandClient {
  if (!NAMESPACE_PATTERN.test(options.namespace)) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `namespace "${options.namespace}" must match ${NAMESPACE_PATTERN.source}`);
  }
  assertIntegerInRange('timeoutMs', options.timeoutMs, 1, COMMAND_CALL_TIMEOUT_MS_MAX);
  const { namespace } = options;

  return {
    async call<C extends CommandDefinition>(command: C, request: z.input<C['request']>, callOptions: CommandCallOptions = {}): Promise<z.output<C['response']>> {
      const timeoutMs = callOptions.timeoutMs ?? options.timeoutMs;
      assertIntegerInRange('timeoutMs', timeoutMs, 1, COMMAND_CALL_TIMEOUT_MS_MAX);
      const callerHeaders = checkedHeaders(callOptions.headers ?? {});
      const body = encodeRequest(command, request);
      const subject = commandTypeSubject(namespace, command);

      return tracer.startActiveSpan(
        `${command.type} send`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'send',
            'messaging.destination.name': subject,
            'messaging.message.body.size': body.byteLength,
          },
        },
        async (span) => {
          try {
            const headers = { ...callerHeaders, [MessageHeaders.contentType]: COMMAND_CONTENT_TYPE };
            const hasTraceparent = Object.keys(callerHeaders).some((name) => name.toLowerCase() === MessageHeaders.traceparent);
            if (!hasTraceparent) propagation.inject(context.active(), headers, recordSetter);

            let reply: Msg;
            try {
              reply = await nc.request(subject, body, { timeout: timeoutMs, headers: recordToHeaders(headers) });
            } catch (error) {
              throw unavailableError(command.type, timeoutMs, error);
            }
            return decodeReply(command, reply) as z.output<C['response']>;
          } catch (error) {
            span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof CommandError ? error.code : 'error' });
            if (error instanceof CommandError) span.setAttribute('messaging.strongbox.error_code', error.code);
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
  };
}

/** The request's JSON, after checking it against the command's schema and the size limit. */
function encodeRequest(command: CommandDefinition, request: unknown): Uint8Array {
  const parsed = command.request.safeParse(request);
  if (!parsed.success) {
    throw new CommandError(CommandErrorCodes.invalidRequest, `invalid ${command.type} request: ${issuesSummary(parsed.error.issues)}`, {
      retryable: false,
      details: issuesDetails(parsed.error.issues),
    });
  }
  // What goes on the wire is the request as given (the schema's input form), so a schema with
  // transforms is applied once, on the server.
  let json: string;
  try {
    json = JSON.stringify(request);
  } catch (error) {
    throw new CommandError(CommandErrorCodes.invalidRequest, `the ${command.type} request cannot be encoded as JSON; amounts travel as decimal strings`, {
      retryable: false,
      cause: error,
    });
  }
  const body = utf8Encoder.encode(json);
  if (body.byteLength > COMMAND_PAYLOAD_BYTES_MAX) {
    throw new CommandError(
      CommandErrorCodes.invalidRequest,
      `the ${command.type} request is ${body.byteLength} bytes; at most ${COMMAND_PAYLOAD_BYTES_MAX} may be sent`,
      { retryable: false },
    );
  }
  return body;
}

/** The response of a reply, or the CommandError it carries or amounts to. */
function decodeReply(command: CommandDefinition, reply: Msg): unknown {
  const invalidReply = (reason: string, details?: Record<string, unknown>): CommandError =>
    new CommandError(CommandErrorCodes.invalidReply, `the ${command.type} reply ${reason}`, { retryable: false, ...(details === undefined ? {} : { details }) });
  let raw: unknown;
  try {
    raw = JSON.parse(utf8Decoder.decode(reply.data));
  } catch {
    throw invalidReply('is not UTF-8 JSON');
  }
  const envelope = commandReplySchema.safeParse(raw);
  if (!envelope.success) throw invalidReply(`is not a command reply: ${issuesSummary(envelope.error.issues)}`, issuesDetails(envelope.error.issues));
  if (!envelope.data.ok) {
    const { code, message, retryable, details } = envelope.data.error;
    throw new CommandError(code, message, { retryable, ...(details === undefined ? {} : { details }) });
  }
  const response = command.response.safeParse(envelope.data.result);
  if (!response.success) {
    throw invalidReply(`breaks the response schema: ${issuesSummary(response.error.issues)}`, issuesDetails(response.error.issues));
  }
  return response.data;
}

/**
 * COMMAND_ERR_UNAVAILABLE for a request that got no reply: no server subscribed (no responders),
 * no answer in time, or the connection lost. Retryable, except when the bus refused the request
 * for good (a permission, an invalid subject).
 */
function unavailableError(type: string, timeoutMs: number, error: unknown): CommandError {
  let current: unknown = error;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && current instanceof Error; depth += 1) {
    if (current instanceof natsErrors.NoRespondersError || (current instanceof natsErrors.RequestError && current.isNoResponders())) {
      return new CommandError(CommandErrorCodes.unavailable, `no server is serving ${type} right now`, { retryable: true, cause: error, details: { reason: 'no_responders' } });
    }
    if (current instanceof natsErrors.TimeoutError) {
      return new CommandError(
        CommandErrorCodes.unavailable,
        `no ${type} reply within ${timeoutMs} ms; the command may still have been executed, so retry with the same idempotency key`,
        { retryable: true, cause: error, details: { reason: 'timeout' } },
      );
    }
    if (
      current instanceof natsErrors.PermissionViolationError ||
      current instanceof natsErrors.InvalidSubjectError ||
      current instanceof natsErrors.InvalidArgumentError
    ) {
      return new CommandError(CommandErrorCodes.unavailable, `the bus refused the ${type} request: ${current.message}`, {
        retryable: false,
        cause: error,
        details: { reason: 'refused' },
      });
    }
    current = current.cause;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new CommandError(CommandErrorCodes.unavailable, `the ${type} request could not be sent or answered: ${reason}`, {
    retryable: true,
    cause: error,
    details: { reason: 'connection' },
  });
}

/** The caller's headers, after refusing names NATS cannot carry and the ones the client sets itself. */
function checkedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(headers);
  // Room is left for Content-Type and the trace context.
  if (entries.length > HEADERS_COUNT_MAX - 3) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `at most ${HEADERS_COUNT_MAX - 3} headers may be given, got ${entries.length}`);
  }
  for (const [name] of entries) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME_PATTERN.test(name)) throw new MessagingError(MessagingErrorCodes.invalidOption, `"${name}" is not a valid header name`);
    if (RESERVED_HEADER_NAMES.has(lower) || lower.startsWith(SERVER_HEADER_PREFIX)) {
      throw new MessagingError(MessagingErrorCodes.invalidOption, `header "${name}" is set by the client and may not be given`);
    }
  }
  return { ...headers };
}
