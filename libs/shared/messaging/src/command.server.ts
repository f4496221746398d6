import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import {
  CommandErrorCodes,
  NAMESPACE_PATTERN,
  commandTypeSubject,
  type CommandDefinition,
  type CommandErrorBody,
  type CommandReply,
} from '@strongbox/shared-contracts';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { z } from 'zod';
import { errorBody, errorBodyOf, internalErrorBody, issuesDetails, issuesSummary } from './command.error';
import { CommandOutcomes, commandMetrics, type CommandMetrics, type CommandOutcome } from './command.metrics';
import { errorMessageOf } from './dead-letter';
import { MessagingError, MessagingErrorCodes } from './errors';
import { headersToRecord, recordGetter, recordToHeaders } from './headers';
import { isValidName, isValidSubject } from './subjects';
import { assertIntegerInRange, withTimeout } from './timeout';

// ---------------------------------------------------------------------------------------------
// The command server: request/reply over NATS core. One queue-group subscription per command, so
// the replicas of a service share the requests; each request is validated, handled inside the
// caller's trace with a time limit, and answered with a CommandReply — never left unanswered.
// ---------------------------------------------------------------------------------------------

/** What a handler gets besides the validated request. */
export interface CommandHandlerContext {
  /** The request's headers (first value of each name). */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted when the handler overran `handleTimeoutMs`, or the server's stop time ran out. */
  readonly signal: AbortSignal;
  /** The server's logger, bound to the command type. */
  readonly logger: Logger;
}

/**
 * One command and its handler. The handler returns the response in the schema's input form (what
 * goes on the wire: amounts as decimal strings); throw a CommandError (or any error with a stable
 * `code`) to answer with an error. Build routes with `commandRoute` to have the types checked.
 */
export interface CommandRoute<C extends CommandDefinition> {
  readonly command: C;
  // Method syntax on purpose: it lets a route of one command stand in a list of routes of any command.
  handle(request: z.output<C['request']>, context: CommandHandlerContext): Promise<z.input<C['response']>>;
}

/** A route of any command, as `serveCommands` takes them. */
export type AnyCommandRoute = CommandRoute<CommandDefinition>;

/**
 * A typed route: the handler's request and response types follow from the command.
 *
 * @example
 * const route = commandRoute(getBalanceV1, async (request) => balances.read(request.userId, request.asset));
 */
export function commandRoute<C extends CommandDefinition>(
  command: C,
  handle: (request: z.output<C['request']>, context: CommandHandlerContext) => Promise<z.input<C['response']>>,
): CommandRoute<C> {
  return { command, handle };
}

export interface ServeCommandsOptions {
  readonly nc: NatsConnection;
  /** The deployment's namespace (`sb`); requests arrive on `<namespace>.<command type>`. */
  readonly namespace: string;
  /** Queue group shared by every replica of the service (`ledger`), so each request reaches one of them. */
  readonly queue: string;
  readonly routes: readonly AnyCommandRoute[];
  readonly logger: Logger;
  /** Where the command metrics go; a private registry when not given. */
  readonly registry?: Registry;
  /** Requests handled at once, over all routes; one more is answered COMMAND_ERR_UNAVAILABLE at once. Default 32. */
  readonly concurrencyMax?: number;
  /** A handler running longer is answered COMMAND_ERR_UNAVAILABLE (it may still finish). Default 10 s. */
  readonly handleTimeoutMs?: number;
}

export interface CommandServer {
  /**
   * Stops taking requests (drains the subscriptions: the server routes new requests to the other
   * replicas), lets the requests in hand finish and be answered, and resolves. Rejects with
   * MESSAGING_ERR_STOP_TIMEOUT when that takes longer than `timeoutMs`; the handlers still running
   * are then signalled to abort.
   */
  stop(timeoutMs: number): Promise<void>;
}

export const COMMAND_CONCURRENCY_MAX_DEFAULT = 32;
export const COMMAND_CONCURRENCY_MAX_LIMIT = 10_000;
export const COMMAND_HANDLE_TIMEOUT_MS_DEFAULT = 10_000;
export const COMMAND_HANDLE_TIMEOUT_MS_MAX = 5 * 60 * 1_000;
/** Commands one server may serve; a service with more is better split. */
export const COMMAND_ROUTES_MAX = 256;
/** Largest request or reply body; the same as an event's limit, far below NATS's own payload limit. */
export const COMMAND_PAYLOAD_BYTES_MAX = 256 * 1024;
/** The media type of command requests and replies. */
export const COMMAND_CONTENT_TYPE = 'application/json; charset=utf-8';

/** How long subscribing may take to be confirmed by the server at start. */
const SUBSCRIBE_FLUSH_TIMEOUT_MS = 5_000;

const tracer = trace.getTracer('@strongbox/shared-messaging');
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Serves `routes` on `<namespace>.<command type>` in queue group `queue`, and resolves once the
 * server has confirmed the subscriptions (a request sent afterwards finds a responder).
 *
 * Per request:
 * 1. No reply subject: logged and dropped (`no_reply`). Already `concurrencyMax` in flight:
 *    COMMAND_ERR_UNAVAILABLE, retryable, at once (`overloaded`) — a queue of waiting requests would
 *    only time out in the callers anyway.
 * 2. Body not UTF-8 JSON, over COMMAND_PAYLOAD_BYTES_MAX, or refused by `command.request`:
 *    COMMAND_ERR_INVALID_REQUEST, not retryable, with `details.issues`.
 * 3. The handler runs in a SERVER span whose parent is the request's `traceparent`.
 * 4. Its response is checked against `command.response`; a mismatch (or a response JSON cannot
 *    carry, such as a bigint) is a server defect: COMMAND_ERR_INTERNAL, not retryable, logged at
 *    error with the schema issues.
 * 5. A thrown error is answered as `errorBodyOf` says: a CommandError or any error with a stable
 *    code keeps its code (and `retryable`/`transient`); anything else is COMMAND_ERR_INTERNAL,
 *    retryable, with a generic message, the error itself only in the log.
 * 6. Past `handleTimeoutMs`: COMMAND_ERR_UNAVAILABLE, retryable, and the handler's signal aborts.
 *    The handler may still commit; an idempotency key makes the caller's retry safe.
 *
 * Throws MESSAGING_ERR_INVALID_OPTION for a bad namespace, queue, route list or limit.
 *
 * @example
 * const server = await serveCommands({ nc, namespace, queue: 'ledger', logger, registry,
 *   routes: [commandRoute(getBalanceV1, (request) => readBalance(database, request))] });
 * // on shutdown
 * await server.stop(10_000);
 */
export async function serveCommands(options: ServeCommandsOptions): Promise<CommandServer> {
  const concurrencyMax = options.concurrencyMax ?? COMMAND_CONCURRENCY_MAX_DEFAULT;
  assertIntegerInRange('concurrencyMax', concurrencyMax, 1, COMMAND_CONCURRENCY_MAX_LIMIT);
  const handleTimeoutMs = options.handleTimeoutMs ?? COMMAND_HANDLE_TIMEOUT_MS_DEFAULT;
  assertIntegerInRange('handleTimeoutMs', handleTimeoutMs, 1, COMMAND_HANDLE_TIMEOUT_MS_MAX);
  if (!NAMESPACE_PATTERN.test(options.namespace)) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `namespace "${options.namespace}" must match ${NAMESPACE_PATTERN.source}`);
  }
  if (!isValidName(options.queue)) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `queue "${options.queue}" must be 1-64 letters, digits, _ or -`);
  }
  if (options.routes.length === 0 || options.routes.length > COMMAND_ROUTES_MAX) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `routes must hold 1 to ${COMMAND_ROUTES_MAX} commands, got ${options.routes.length}`);
  }
  const seen = new Set<string>();
  for (const route of options.routes) {
    const subject = commandTypeSubject(options.namespace, route.command);
    if (!isValidSubject(subject, { wildcards: false })) {
      throw new MessagingError(MessagingErrorCodes.invalidOption, `command ${route.command.type} gives the invalid subject "${subject}"`);
    }
    if (seen.has(route.command.type)) throw new MessagingError(MessagingErrorCodes.invalidOption, `command ${route.command.type} is routed twice`);
    seen.add(route.command.type);
  }

  const server = new CommandServerRunner(options, concurrencyMax, handleTimeoutMs);
  server.subscribe();
  try {
    await withTimeout(options.nc.flush(), SUBSCRIBE_FLUSH_TIMEOUT_MS, 'confirming the command subscriptions');
  } catch (error) {
    server.unsubscribeAll();
    throw error;
  }
  return { stop: (timeoutMs) => server.stop(timeoutMs) };
}

/** A request being handled: its handler's abort switch, and a promise that settles when the handler has. */
interface InFlight {
  readonly abort: AbortController;
  done: Promise<void>;
}

/** What became of a request before the reply: the reply itself, the outcome, and the handler still to await. */
interface Answer {
  readonly reply: CommandReply<unknown>;
  readonly outcome: CommandOutcome;
  /** The reply's JSON when it was encoded already (a success reply, checked to be sendable). */
  readonly encoded?: Uint8Array;
  /** Settles when the handler has (later than the reply after a timeout); never rejects. */
  readonly handlerSettled: Promise<unknown>;
}

type HandlerResult = { readonly kind: 'resolved'; readonly value: unknown } | { readonly kind: 'threw'; readonly error: unknown } | { readonly kind: 'timeout' };

class CommandServerRunner {
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<InFlight>();
  private readonly metrics: CommandMetrics;
  private readonly logger: Logger;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly options: ServeCommandsOptions,
    private readonly concurrencyMax: number,
    private readonly handleTimeoutMs: number,
  ) {
    this.metrics = commandMetrics(options.registry ?? new Registry());
    this.logger = options.logger.child({ component: 'command-server', queue: options.queue });
  }

  subscribe(): void {
    for (const route of this.options.routes) {
      const subject = commandTypeSubject(this.options.namespace, route.command);
      const routeLogger = this.logger.child({ command: route.command.type });
      const subscription = this.options.nc.subscribe(subject, {
        queue: this.options.queue,
        callback: (error, message) => {
          if (error) {
            // A permission violation or a closed connection ends the subscription; nothing to answer.
            this.logger.error({ err: error, subject }, 'command subscription failed');
            return;
          }
          this.accept(route, routeLogger, message);
        },
      });
      this.subscriptions.push(subscription);
    }
  }

  unsubscribeAll(): void {
    for (const subscription of this.subscriptions) {
      try {
        subscription.unsubscribe();
      } catch {
        // The connection is closed: the subscription is gone with it.
      }
    }
  }

  stop(timeoutMs: number): Promise<void> {
    this.stopped ??= this.stopWithin(timeoutMs);
    return this.stopped;
  }

  // -------------------------------------------------------------------------------------------
  // Taking a request
  // -------------------------------------------------------------------------------------------

  private accept(route: AnyCommandRoute, logger: Logger, message: Msg): void {
    const command = route.command.type;
    if (!message.reply) {
      logger.warn({ subject: message.subject }, 'command request without a reply subject dropped');
      this.count(command, CommandOutcomes.noReply, performance.now());
      return;
    }
    if (this.inFlight.size >= this.concurrencyMax) {
      const startedAt = performance.now();
      // Debug only: under overload a line per refusal would flood the log; the metric counts them.
      logger.debug({ inFlight: this.inFlight.size }, 'command refused: too many requests in flight');
      this.respond(message, logger, {
        ok: false,
        error: errorBody(CommandErrorCodes.unavailable, `the server is busy (${this.concurrencyMax} requests in flight); retry shortly`, true, undefined),
      });
      this.count(command, CommandOutcomes.overloaded, startedAt);
      return;
    }
    const entry: InFlight = { abort: new AbortController(), done: Promise.resolve() };
    this.inFlight.add(entry);
    entry.done = this.process(route, logger, message, entry.abort)
      .catch((error: unknown) => {
        // process() answers every failure it expects; this is a bug in the server itself, and the
        // caller's request times out.
        logger.error({ err: error }, 'command processing failed unexpectedly');
      })
      .finally(() => {
        this.inFlight.delete(entry);
      });
  }

  private async process(route: AnyCommandRoute, logger: Logger, message: Msg, abort: AbortController): Promise<void> {
    const startedAt = performance.now();
    const headers = headersToRecord(message.headers);
    const parent = propagation.extract(ROOT_CONTEXT, headers, recordGetter);
    const answer = await tracer.startActiveSpan(
      `${route.command.type} process`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': message.subject,
          'messaging.consumer.group.name': this.options.queue,
          'messaging.message.body.size': message.data.byteLength,
        },
      },
      parent,
      async (span): Promise<Answer> => {
        try {
          const answered = await this.answer(route, logger, message, headers, abort);
          span.setAttribute('messaging.strongbox.outcome', answered.outcome);
          if (!answered.reply.ok) {
            span.setAttribute('messaging.strongbox.error_code', answered.reply.error.code);
            span.setStatus({ code: SpanStatusCode.ERROR, message: answered.reply.error.code });
          }
          this.respond(message, logger, answered.reply, answered.encoded, span);
          return answered;
        } finally {
          span.end();
        }
      },
    );
    this.count(route.command.type, answer.outcome, startedAt);
    // The request stays in flight until its handler has really finished, so `concurrencyMax` bounds
    // the work running, and stop() waits for a handler that overran its time limit.
    await answer.handlerSettled;
  }

  /** Decodes, validates and handles one request, and decides the reply. Never throws. */
  private async answer(
    route: AnyCommandRoute,
    logger: Logger,
    message: Msg,
    headers: Readonly<Record<string, string>>,
    abort: AbortController,
  ): Promise<Answer> {
    const { command } = route;
    const nothingRunning = Promise.resolve();
    const invalid = (text: string, details: Record<string, unknown>): Answer => ({
      reply: { ok: false, error: errorBody(CommandErrorCodes.invalidRequest, text, false, details) },
      outcome: CommandOutcomes.invalidRequest,
      handlerSettled: nothingRunning,
    });

    if (message.data.byteLength > COMMAND_PAYLOAD_BYTES_MAX) {
      return invalid(`the ${command.type} request is ${message.data.byteLength} bytes; at most ${COMMAND_PAYLOAD_BYTES_MAX} are accepted`, {
        issues: [{ path: [], message: 'request too large' }],
      });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(utf8Decoder.decode(message.data));
    } catch {
      return invalid(`the ${command.type} request is not UTF-8 JSON`, { issues: [{ path: [], message: 'not UTF-8 JSON' }] });
    }
    const parsed = command.request.safeParse(raw);
    if (!parsed.success) {
      return invalid(`invalid ${command.type} request: ${issuesSummary(parsed.error.issues)}`, issuesDetails(parsed.error.issues));
    }

    const context: CommandHandlerContext = { headers, signal: abort.signal, logger };
    const handled = (async (): Promise<HandlerResult> => {
      try {
        return { kind: 'resolved', value: await route.handle(parsed.data, context) };
      } catch (error) {
        return { kind: 'threw', error };
      }
    })();
    const result = await this.withinTimeLimit(handled, abort);

    switch (result.kind) {
      case 'timeout': {
        logger.warn({ handleTimeoutMs: this.handleTimeoutMs }, 'command handler overran its time limit; answered as unavailable');
        const late = handled.then((settled) => {
          logger.warn({ settled: settled.kind }, 'command handler finished after its request was answered as timed out');
        });
        return {
          reply: {
            ok: false,
            error: errorBody(
              CommandErrorCodes.unavailable,
              `the ${command.type} handler did not finish within ${this.handleTimeoutMs} ms and may still complete; retry (with the same idempotency key)`,
              true,
              undefined,
            ),
          },
          outcome: CommandOutcomes.timeout,
          handlerSettled: late,
        };
      }
      case 'threw':
        return { ...this.failureAnswer(result.error, logger), handlerSettled: nothingRunning };
      case 'resolved':
        return { ...this.successAnswer(command, result.value, logger), handlerSettled: nothingRunning };
    }
  }

  private async withinTimeLimit(handled: Promise<HandlerResult>, abort: AbortController): Promise<HandlerResult> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<HandlerResult>((resolve) => {
      timer = setTimeout(() => {
        abort.abort(new MessagingError(MessagingErrorCodes.handleTimeout, `command handler did not finish within ${this.handleTimeoutMs} ms`));
        resolve({ kind: 'timeout' });
      }, this.handleTimeoutMs);
    });
    try {
      return await Promise.race([handled, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private successAnswer(command: CommandDefinition, value: unknown, logger: Logger): Omit<Answer, 'handlerSettled'> {
    const checked = command.response.safeParse(value);
    if (!checked.success) {
      logger.error(
        { issues: issuesDetails(checked.error.issues)['issues'] },
        `command handler returned a response that breaks the ${command.type} response schema`,
      );
      return { reply: { ok: false, error: schemaDefectBody(command.type) }, outcome: CommandOutcomes.internal };
    }
    // The reply carries what the handler returned (the schema's input form, which is what JSON can
    // hold), after checking it; the client parses it into the output form.
    const reply: CommandReply<unknown> = { ok: true, result: value };
    const encoded = encodeReply(reply);
    if (typeof encoded === 'string') {
      logger.error({ problem: encoded }, `command handler returned a ${command.type} response that cannot be sent`);
      return { reply: { ok: false, error: schemaDefectBody(command.type) }, outcome: CommandOutcomes.internal };
    }
    return { reply, outcome: CommandOutcomes.ok, encoded };
  }

  private failureAnswer(error: unknown, logger: Logger): Omit<Answer, 'handlerSettled'> {
    trace.getActiveSpan()?.recordException(error instanceof Error ? error : String(error));
    const { body, failure, detailsDropped } = errorBodyOf(error);
    if (detailsDropped) logger.warn({ code: body.code }, 'command error details left out of the reply: not a plain JSON object within the size limit');
    switch (failure) {
      case 'rejected':
        logger.debug({ code: body.code, error: errorMessageOf(error) }, 'command refused');
        return { reply: { ok: false, error: body }, outcome: CommandOutcomes.rejected };
      case 'retryable':
        logger.warn({ code: body.code, error: errorMessageOf(error) }, 'command failed; the caller may retry');
        return { reply: { ok: false, error: body }, outcome: CommandOutcomes.retryableError };
      case 'internal':
        logger.error({ err: error }, 'command handler failed unexpectedly');
        return { reply: { ok: false, error: internalErrorBody() }, outcome: CommandOutcomes.internal };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Replying, counting, stopping
  // -------------------------------------------------------------------------------------------

  private respond(message: Msg, logger: Logger, reply: CommandReply<unknown>, encoded?: Uint8Array, span?: Span): void {
    try {
      const body = encoded ?? utf8Encoder.encode(JSON.stringify(reply));
      message.respond(body, { headers: recordToHeaders({ 'Content-Type': COMMAND_CONTENT_TYPE }) });
    } catch (error) {
      // The connection is closed or draining: the caller's request times out and it retries.
      span?.recordException(error instanceof Error ? error : String(error));
      logger.warn({ err: error }, 'command reply could not be sent');
    }
  }

  private count(command: string, outcome: CommandOutcome, startedAt: number): void {
    const labels = { command, outcome };
    this.metrics.handled.inc(labels);
    this.metrics.duration.observe(labels, (performance.now() - startedAt) / 1_000);
  }

  private async stopWithin(timeoutMs: number): Promise<void> {
    assertIntegerInRange('timeoutMs', timeoutMs, 0);
    const deadline = Date.now() + timeoutMs;
    // Draining unsubscribes on the server (new requests go to the other replicas) and still hands
    // over the requests already on their way to this one; they are answered like any other.
    await Promise.all(
      this.subscriptions.map(async (subscription) => {
        try {
          await withTimeout(subscription.drain(), Math.max(1, deadline - Date.now()), 'draining a command subscription');
        } catch (error) {
          this.logger.warn({ err: error, subject: subscription.getSubject() }, 'command subscription could not be drained; unsubscribing');
          try {
            subscription.unsubscribe();
          } catch {
            // The connection is closed: the subscription is gone with it.
          }
        }
      }),
    );
    while (this.inFlight.size > 0) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0 || !(await settledWithin([...this.inFlight].map((entry) => entry.done), remainingMs))) {
        const count = this.inFlight.size;
        if (count === 0) break;
        const reason = new MessagingError(MessagingErrorCodes.stopTimeout, `${count} command request(s) still in flight after ${timeoutMs} ms`);
        for (const entry of this.inFlight) entry.abort.abort(reason);
        throw reason;
      }
    }
    this.logger.info('command server stopped');
  }
}

/** The reply when a handler's response breaks its own contract: a defect, so retrying does not help. */
function schemaDefectBody(type: string): CommandErrorBody {
  return errorBody(CommandErrorCodes.internal, `the server produced an invalid ${type} response`, false, undefined);
}

/** The body of `reply`, or why it cannot be sent (not JSON-encodable, or too large). */
function encodeReply(reply: CommandReply<unknown>): Uint8Array | string {
  let json: string;
  try {
    json = JSON.stringify(reply);
  } catch (error) {
    return `not JSON-encodable (${error instanceof Error ? error.message : String(error)}); amounts travel as decimal strings`;
  }
  const body = utf8Encoder.encode(json);
  return body.byteLength > COMMAND_PAYLOAD_BYTES_MAX ? `${body.byteLength} bytes; at most ${COMMAND_PAYLOAD_BYTES_MAX} may be sent` : body;
}

/** True when every promise settled within `timeoutMs`. */
async function settledWithin(promises: ReadonlyArray<Promise<unknown>>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([Promise.allSettled(promises).then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
