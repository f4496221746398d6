import { errors as natsErrors } from '@nats-io/transport-node';
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { ensureConsumer, validateConsumerSpec, type ConsumerSpec } from './consumer.config';
import { ConsumerOutcomes, consumerMetrics, type ConsumerMetrics, type ConsumerOutcome } from './consumer.metrics';
import { deadLetterHeaders, errorCodeOf, errorMessageOf } from './dead-letter';
import { MessagingError, MessagingErrorCodes } from './errors';
import { MessageHeaders, findHeader, headersToRecord, recordGetter, recordToHeaders } from './headers';
import { backoffDelayMs, outcomeOfResult, settle, type HandlerOutcome } from './settlement';
import { assertIntegerInRange, sleep } from './timeout';

// ---------------------------------------------------------------------------------------------
// The consumer runner: pull, decode, handle inside the producer's trace, then ack, nak or dead
// letter. At-least-once: a message is acknowledged only after its handler resolved (and with it
// the handler's own transaction); everything else is redelivered, and the inbox de-duplicates.
// ---------------------------------------------------------------------------------------------

/** What a handler learns about the message besides the decoded event. */
export interface DeliveryContext {
  readonly subject: string;
  readonly streamSeq: number;
  /** 1 on the first delivery. */
  readonly deliveryCount: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted when the handler overran `handleTimeoutMs`, or the runner's stop time ran out. */
  readonly signal: AbortSignal;
}

/**
 * Nothing (done), a request to be called again with this message after a while, or the handler's
 * own decision that the message is poison (dead-lettered at once with this error; for handlers that
 * count their failures themselves because their deferrals must not use up `maxDeliver`).
 */
export type HandleResult = void | { retryAfterMs: number } | { deadLetter: { errorCode: string; errorMessage: string } };

export interface StartConsumerOptions<T> {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly spec: ConsumerSpec;
  /** Turns the parsed JSON body into the handler's input; throws on a malformed message (e.g. a zod parse). */
  readonly decode: (raw: unknown) => T;
  /** Handles one message; resolves once its effects are committed. Throws to have it retried. */
  readonly handle: (event: T, delivery: DeliveryContext) => Promise<HandleResult>;
  readonly logger: Logger;
  /** Where the consumer metrics go; a private registry when not given. */
  readonly registry?: Registry;
  /** A handler running longer counts as failed (MESSAGING_ERR_HANDLE_TIMEOUT); defaults to 30 s. */
  readonly handleTimeoutMs?: number;
}

export interface ConsumerHandle {
  readonly durable: string;
  /**
   * Stops pulling, lets the message in hand finish (and be settled), hands back messages pulled
   * but not started, and resolves. Rejects with MESSAGING_ERR_STOP_TIMEOUT when that takes longer
   * than `timeoutMs`; the handler in flight is then signalled to abort.
   */
  stop(timeoutMs: number): Promise<void>;
}

export const HANDLE_TIMEOUT_MS_DEFAULT = 30_000;
export const HANDLE_TIMEOUT_MS_MAX = 60 * 60 * 1_000;
/**
 * How long one pull request waits on the server for messages. Idle consumers re-pull this often;
 * `stop()` stops waiting on a pull at once, so it does not delay shutdown. It also bounds how long
 * the server keeps a stopped runner's pull request (see `nak`).
 */
const FETCH_EXPIRES_MS = 5_000;
/** Margin after our last pull request's expiry before a message handed back at stop is redelivered. */
const PULL_EXPIRY_MARGIN_MS = 250;
/** A pull that came back empty sooner than this is followed by a short pause, so a misbehaving server cannot make the loop spin. */
const FETCH_DURATION_MS_MIN = 200;
const EMPTY_FETCH_PAUSE_MS = 250;
/** Back-off of the pull loop after a failure (NATS away, consumer gone, pull timed out): doubles up to the max, with jitter. */
const LOOP_ERROR_DELAY_MS_INITIAL = 250;
const LOOP_ERROR_DELAY_MS_MAX = 10_000;
/** `working()` goes out this many times per ack wait, so one lost signal does not let the ack wait expire. */
const WORKING_SIGNALS_PER_ACK_WAIT = 3;
const WORKING_INTERVAL_MS_MIN = 100;
/** How long the server's confirmation of an ack, and a dead-letter publish, may take. */
const ACK_CONFIRM_TIMEOUT_MS = 5_000;
const DEAD_LETTER_PUBLISH_TIMEOUT_MS = 5_000;

const tracer = trace.getTracer('@strongbox/shared-messaging');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Starts a durable pull consumer and its runner, after creating or updating the consumer on the
 * server (see `ensureConsumer`). Throws MESSAGING_ERR_INVALID_OPTION for an invalid spec and the
 * `ensureConsumer` errors; once started, the runner survives NATS outages, a deleted consumer
 * (re-created) and pull timeouts by logging and backing off.
 *
 * Per message, in order:
 * 1. Past its `maxDeliver`-th delivery already (a crash loop, or an earlier dead letter that could
 *    not be stored): dead letter at once, MESSAGING_ERR_RETRIES_EXHAUSTED.
 * 2. Parse JSON and `decode`; on failure dead letter at once (MESSAGING_ERR_DECODE_FAILED), never retried.
 * 3. `handle` in a span whose parent is the message's `traceparent`, with `working()` sent while it runs.
 * 4. Settle as `settle()` decides: ack (confirmed), nak with back-off, or dead letter + term.
 *    A dead letter that cannot be stored is naked instead, so nothing is ever dropped.
 *
 * @example
 * const consumer = await startConsumer({ js, jsm, spec, logger, registry,
 *   decode: (raw) => accountOpenedV1.parse(raw),
 *   handle: async (event) => { await processOnce(db, { consumer: spec.durable, eventId: event.id }, (tx) => apply(tx, event)); },
 * });
 * // on shutdown
 * await consumer.stop(10_000);
 */
export async function startConsumer<T>(options: StartConsumerOptions<T>): Promise<ConsumerHandle> {
  validateConsumerSpec(options.spec);
  const handleTimeoutMs = options.handleTimeoutMs ?? HANDLE_TIMEOUT_MS_DEFAULT;
  assertIntegerInRange('handleTimeoutMs', handleTimeoutMs, 1, HANDLE_TIMEOUT_MS_MAX);
  const info = await ensureConsumer(options.jsm, options.spec);
  const runner = new ConsumerRunner(options, handleTimeoutMs, options.js.consumers.getConsumerFromInfo(info));
  runner.start();
  return {
    durable: options.spec.durable,
    stop: (timeoutMs) => runner.stop(timeoutMs),
  };
}

/** The message in hand, so `stop()` can abort it and the heartbeat can extend it. */
interface InFlight {
  readonly message: JsMsg;
  readonly abort: AbortController;
}

class ConsumerRunner<T> {
  private readonly spec: ConsumerSpec;
  private readonly logger: Logger;
  private readonly metrics: ConsumerMetrics;
  private readonly stopController = new AbortController();
  /** Messages of the current pull not yet started; bounded by `batchSizeMax` (the pull asks for no more). */
  private readonly held: JsMsg[] = [];
  private wakeWorker: (() => void) | undefined;
  private batch: ConsumerMessages | undefined;
  private inFlight: InFlight | undefined;
  /** Set when the stop time ran out: the message in hand is no longer kept alive with `working()`. */
  private abandoned = false;
  private loop: Promise<void> | undefined;
  /** When the server drops our latest pull request at the latest (issue time + FETCH_EXPIRES_MS). */
  private pullExpiresAtMs = 0;

  constructor(
    private readonly options: StartConsumerOptions<T>,
    private readonly handleTimeoutMs: number,
    private consumer: Consumer | undefined,
  ) {
    this.spec = options.spec;
    this.logger = options.logger;
    this.metrics = consumerMetrics(options.registry ?? new Registry());
  }

  start(): void {
    this.loop ??= this.run().catch((error: unknown) => {
      // run() handles its own errors; reaching this is a bug, and it must not go unnoticed.
      this.logger.fatal({ err: error, durable: this.spec.durable }, 'consumer runner crashed');
    });
  }

  async stop(timeoutMs: number): Promise<void> {
    assertIntegerInRange('timeoutMs', timeoutMs, 0);
    this.stopController.abort();
    // Ends the pull; what the server already sent still comes out of the iterator and is released.
    this.batch?.stop();
    this.wakeWorker?.();
    const loop = this.loop ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([loop.then(() => 'stopped' as const), timedOut]);
      if (result === 'stopped') return;
    } finally {
      clearTimeout(timer);
    }
    const inFlight = this.inFlight;
    this.abandoned = true;
    inFlight?.abort.abort(new MessagingError(MessagingErrorCodes.stopTimeout, 'the consumer is stopping'));
    throw new MessagingError(
      MessagingErrorCodes.stopTimeout,
      `consumer ${this.spec.durable} did not stop within ${timeoutMs} ms` +
        (inFlight ? ` (stream seq ${inFlight.message.seq} still in its handler)` : ''),
      { transient: true },
    );
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  // -------------------------------------------------------------------------------------------
  // Pull loop
  // -------------------------------------------------------------------------------------------

  /**
   * Pulls with `fetch` rather than `consume`: each pull is one bounded request (at most
   * `batchSizeMax` messages, FETCH_EXPIRES_MS), so between pulls the loop decides by itself to stop,
   * to back off after a failure or to re-create the consumer, and nothing is pulled ahead while the
   * runner is stopping (`consume` refills its buffer on its own before the previous batch is done).
   */
  private async run(): Promise<void> {
    let consecutiveFailures = 0;
    while (!this.stopping) {
      const startedAtMs = Date.now();
      let received = 0;
      try {
        this.consumer ??= this.options.js.consumers.getConsumerFromInfo(await ensureConsumer(this.options.jsm, this.spec));
        this.pullExpiresAtMs = Date.now() + FETCH_EXPIRES_MS;
        const batch = await this.consumer.fetch({ max_messages: this.spec.batchSizeMax, expires: FETCH_EXPIRES_MS });
        this.batch = batch;
        if (this.stopping) batch.stop();
        received = await this.drain(batch);
        consecutiveFailures = 0;
      } catch (error) {
        if (this.stopping) break;
        if (isConnectionClosed(error)) {
          this.logger.error({ durable: this.spec.durable }, 'NATS connection closed; consumer runner ends');
          break;
        }
        consecutiveFailures += 1;
        // Look the consumer up again before the next pull: it may have been deleted, or the server replaced.
        this.consumer = undefined;
        const delayMs = jitter(Math.min(LOOP_ERROR_DELAY_MS_MAX, LOOP_ERROR_DELAY_MS_INITIAL * 2 ** Math.min(consecutiveFailures - 1, 10)));
        this.logger.warn({ err: error, durable: this.spec.durable, consecutiveFailures, delayMs }, 'pull failed; backing off');
        await sleep(delayMs, this.stopController.signal);
        continue;
      } finally {
        this.batch = undefined;
      }
      if (received === 0 && Date.now() - startedAtMs < FETCH_DURATION_MS_MIN) await sleep(EMPTY_FETCH_PAUSE_MS, this.stopController.signal);
    }
  }

  /**
   * Handles the messages of one pull in order. A reader moves each message from the pull's
   * iterator into `held` as it arrives, so the heartbeat can keep every pulled message alive
   * (not just the one in hand) while an earlier one is handled. Returns how many arrived.
   */
  private async drain(batch: ConsumerMessages): Promise<number> {
    let readerDone = false;
    let readerError: unknown;
    let received = 0;
    const reader = (async () => {
      try {
        for await (const message of batch) {
          this.held.push(message);
          received += 1;
          this.wakeWorker?.();
        }
      } catch (error) {
        readerError = error;
      } finally {
        readerDone = true;
        this.wakeWorker?.();
      }
    })();

    for (;;) {
      const message = this.held.shift();
      if (message === undefined) {
        if (readerDone) break;
        await new Promise<void>((resolve) => {
          this.wakeWorker = resolve;
        });
        this.wakeWorker = undefined;
        continue;
      }
      if (this.stopping) {
        this.release(message);
        continue;
      }
      await this.process(message);
    }
    await reader;
    if (readerError !== undefined) throw readerError;
    return received;
  }

  // -------------------------------------------------------------------------------------------
  // One message
  // -------------------------------------------------------------------------------------------

  private async process(message: JsMsg): Promise<void> {
    const startedAt = performance.now();
    const headers = headersToRecord(message.headers);
    const deliveryCount = message.info.deliveryCount;
    const abort = new AbortController();
    this.inFlight = { message, abort };
    const heartbeat = this.startHeartbeat(message);
    const parent = propagation.extract(ROOT_CONTEXT, headers, recordGetter);
    const eventId = findHeader(headers, MessageHeaders.cloudEventId);
    let outcome: ConsumerOutcome = ConsumerOutcomes.retried;
    try {
      outcome = await tracer.startActiveSpan(
        `${this.spec.durable} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'process',
            'messaging.destination.name': message.subject,
            'messaging.consumer.group.name': this.spec.durable,
            ...(eventId === undefined ? {} : { 'messaging.message.id': eventId }),
            'messaging.nats.stream': message.info.stream,
            'messaging.nats.stream_sequence': message.seq,
            'messaging.nats.delivery_count': deliveryCount,
          },
        },
        parent,
        async (span) => {
          try {
            const settled = await this.decodeHandleSettle(message, headers, deliveryCount, abort, span);
            span.setAttribute('messaging.strongbox.outcome', settled);
            return settled;
          } finally {
            span.end();
          }
        },
      );
    } catch (error) {
      // decodeHandleSettle catches everything it expects; this is a bug in the runner itself.
      // The message is neither acked nor termed, so the server redelivers it after the ack wait.
      this.logger.error({ err: error, durable: this.spec.durable, streamSeq: message.seq }, 'message processing failed unexpectedly');
    } finally {
      clearInterval(heartbeat);
      this.inFlight = undefined;
    }
    const labels = { consumer: this.spec.durable, outcome };
    this.metrics.messages.inc(labels);
    this.metrics.handleDuration.observe(labels, (performance.now() - startedAt) / 1_000);
  }

  private async decodeHandleSettle(
    message: JsMsg,
    headers: Readonly<Record<string, string>>,
    deliveryCount: number,
    abort: AbortController,
    span: Span,
  ): Promise<ConsumerOutcome> {
    const { spec } = this;
    if (deliveryCount > spec.maxDeliver) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: MessagingErrorCodes.retriesExhausted });
      return this.deadLetter(message, headers, {
        errorCode: MessagingErrorCodes.retriesExhausted,
        errorMessage: `delivery ${deliveryCount} is past maxDeliver ${spec.maxDeliver} (an earlier dead letter failed, or the handler crashed the process); handler not run`,
        outcome: ConsumerOutcomes.deadLettered,
      });
    }

    let event: T;
    try {
      event = this.options.decode(JSON.parse(utf8.decode(message.data)) as unknown);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: MessagingErrorCodes.decodeFailed });
      return this.deadLetter(message, headers, {
        errorCode: MessagingErrorCodes.decodeFailed,
        errorMessage: errorMessageOf(error),
        outcome: ConsumerOutcomes.decodeFailed,
      });
    }

    const outcome = await this.runHandler(event, {
      subject: message.subject,
      streamSeq: message.seq,
      deliveryCount,
      headers,
      signal: abort.signal,
    }, abort);
    if (outcome.kind === 'failed' || outcome.kind === 'rejected') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorCode });

    const settlement = settle(outcome, deliveryCount, spec);
    const log = { durable: spec.durable, subject: message.subject, streamSeq: message.seq, deliveryCount };
    switch (settlement.kind) {
      case 'ack':
        await this.acknowledge(message);
        return ConsumerOutcomes.acked;
      case 'nak':
        if (settlement.reason === 'failed' && outcome.kind === 'failed') {
          this.logger.warn({ ...log, errorCode: outcome.errorCode, error: outcome.errorMessage, delayMs: settlement.delayMs }, 'handler failed; retrying later');
        } else {
          this.logger.debug({ ...log, delayMs: settlement.delayMs }, 'handler deferred the message');
        }
        this.nak(message, settlement.delayMs);
        return settlement.reason === 'failed' ? ConsumerOutcomes.retried : ConsumerOutcomes.deferred;
      case 'deadLetter':
        return this.deadLetter(message, headers, {
          errorCode: settlement.errorCode,
          errorMessage: settlement.errorMessage,
          outcome: ConsumerOutcomes.deadLettered,
        });
    }
  }

  /** Runs the handler with a time limit; a timeout aborts `delivery.signal` and counts as a failure. */
  private async runHandler(event: T, delivery: DeliveryContext, abort: AbortController): Promise<HandlerOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<HandlerOutcome>((resolve) => {
      timer = setTimeout(() => {
        const error = new MessagingError(MessagingErrorCodes.handleTimeout, `handler did not finish within ${this.handleTimeoutMs} ms`);
        abort.abort(error);
        resolve({ kind: 'failed', errorCode: error.code, errorMessage: errorMessageOf(error) });
      }, this.handleTimeoutMs);
    });
    const handled = (async (): Promise<HandlerOutcome> => {
      try {
        return outcomeOfResult(await this.options.handle(event, delivery));
      } catch (error) {
        trace.getActiveSpan()?.recordException(error instanceof Error ? error : String(error));
        return { kind: 'failed', errorCode: errorCodeOf(error), errorMessage: errorMessageOf(error) };
      }
    })();
    try {
      return await Promise.race([handled, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Settling
  // -------------------------------------------------------------------------------------------

  /**
   * Acks and waits for the server's confirmation. A lost ack is only logged: the message comes
   * back after the ack wait, and the handler's inbox turns that redelivery into a no-op.
   */
  private async acknowledge(message: JsMsg): Promise<void> {
    try {
      await message.ackAck({ timeout: ACK_CONFIRM_TIMEOUT_MS });
    } catch (error) {
      this.logger.warn(
        { err: error, durable: this.spec.durable, streamSeq: message.seq },
        'ack not confirmed; the redelivery will be de-duplicated by the inbox',
      );
    }
  }

  /**
   * Naks with `delayMs`. Once stopping, the delay lasts at least until our last pull request has
   * expired on the server: stopping only unsubscribes locally, and nats-server 2.9 hands a message
   * naked while such a pull request is still pending to that dead request (observed: the message
   * then waits out a whole ack wait, and another is delivered twice) instead of to a live one.
   */
  private nak(message: JsMsg, delayMs: number): void {
    const staleRequestMs = this.stopping ? Math.max(0, this.pullExpiresAtMs + PULL_EXPIRY_MARGIN_MS - Date.now()) : 0;
    try {
      message.nak(Math.max(delayMs, staleRequestMs));
    } catch (error) {
      // The connection is gone; the server redelivers after the ack wait instead.
      this.logger.warn({ err: error, durable: this.spec.durable, streamSeq: message.seq }, 'nak failed');
    }
  }

  /** Hands a pulled but unstarted message back for redelivery to another instance, as soon as it can go there. */
  private release(message: JsMsg): void {
    this.logger.debug({ durable: this.spec.durable, streamSeq: message.seq, deliveryCount: message.info.deliveryCount }, 'released unstarted message');
    this.nak(message, 0);
    this.metrics.messages.inc({ consumer: this.spec.durable, outcome: ConsumerOutcomes.released });
  }

  /**
   * Stores the message on the dead-letter subject, then terminates it. When the dead letter cannot
   * be stored, the message is naked instead (never termed), so it comes back and is tried again.
   */
  private async deadLetter(
    message: JsMsg,
    headers: Readonly<Record<string, string>>,
    failure: { errorCode: string; errorMessage: string; outcome: ConsumerOutcome },
  ): Promise<ConsumerOutcome> {
    const { spec } = this;
    const deliveryCount = message.info.deliveryCount;
    const log = { durable: spec.durable, subject: message.subject, streamSeq: message.seq, deliveryCount, errorCode: failure.errorCode };
    const letterHeaders = deadLetterHeaders(headers, {
      subject: message.subject,
      stream: message.info.stream,
      streamSeq: message.seq,
      consumer: spec.durable,
      deliveryCount,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
      failedAt: new Date(),
    });
    try {
      await this.options.js.publish(spec.deadLetterSubject, message.data, {
        // A retried dead letter of the same stored message is de-duplicated by the dead-letter stream.
        msgID: `${spec.durable}:${message.info.stream}:${message.seq}`,
        headers: recordToHeaders(letterHeaders),
        timeout: DEAD_LETTER_PUBLISH_TIMEOUT_MS,
        retries: 1,
      });
    } catch (error) {
      const delayMs = backoffDelayMs(spec.backoffMs, deliveryCount);
      this.logger.error({ ...log, err: error, delayMs }, 'dead letter could not be stored; the message is kept and retried');
      this.nak(message, delayMs);
      return ConsumerOutcomes.deadLetterFailed;
    }
    try {
      message.term();
    } catch (error) {
      // Redelivered after the ack wait; the dead letter of it is then a duplicate the stream drops.
      this.logger.warn({ ...log, err: error }, 'term failed after the dead letter was stored');
    }
    this.logger.error({ ...log, error: failure.errorMessage, deadLetterSubject: spec.deadLetterSubject }, 'message dead-lettered');
    return failure.outcome;
  }

  /**
   * Sends `working()` for the message in hand and every held one, several times per ack wait,
   * so a long handler (or a long queue behind it) does not make the server redeliver.
   */
  private startHeartbeat(message: JsMsg): NodeJS.Timeout {
    const intervalMs = Math.max(WORKING_INTERVAL_MS_MIN, Math.floor(this.spec.ackWaitMs / WORKING_SIGNALS_PER_ACK_WAIT));
    return setInterval(() => {
      if (this.abandoned) return;
      for (const pending of [message, ...this.held]) {
        try {
          pending.working();
        } catch {
          // Disconnected: the next tick tries again; the server keeps the message pending meanwhile.
        }
      }
    }, intervalMs);
  }
}

/** True when `error`, or one of its causes, says the NATS connection was closed for good. */
function isConnectionClosed(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    if (current instanceof natsErrors.ClosedConnectionError) return true;
    current = current.cause;
  }
  return false;
}

/** A delay between half and all of `delayMs`, so instances that failed together do not retry together. */
function jitter(delayMs: number): number {
  return Math.round(delayMs / 2 + Math.random() * (delayMs / 2));
}
