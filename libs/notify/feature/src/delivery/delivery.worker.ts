import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  claimNextNotification,
  countPendingByPriority,
  recordDeliveryOutcome,
  sweepStaleSending,
  type ClaimedNotification,
  type DeliveryOutcome,
} from '@strongbox/notify-data-access';
import type { DatabaseHandle } from '@strongbox/shared-db';
import { backoffDelayMs, sleep, superviseLoop, type SupervisedLoop } from '@strongbox/shared-resilience';
import { createDeliveryMetrics, type DeliveryMetrics, type DeliveryOutcomeLabel } from './delivery.metrics';
import { createGlobalRateLimiter, type GlobalRateLimiter } from './rate.limiter';
import { createTelegramSender, type SendResult, type TelegramSender } from './telegram.sender';

// ---------------------------------------------------------------------------------------------
// The delivery worker: takes notifications off the queue (the `notifications` table) and sends
// them to Telegram, exactly once visible where that can be known, in order per chat, within the
// global and per-chat limits. See docs/adr/0010-notification-delivery.md.
// ---------------------------------------------------------------------------------------------

export interface DeliveryOptions {
  readonly token: string;
  readonly apiRoot: string;
  readonly globalRatePerSecond: number;
  readonly chatRatePerSecond: number;
  readonly replicas: number;
  /** Lanes: each claims and sends one notification at a time. */
  readonly concurrency: number;
  readonly requestTimeoutMs: number;
  /** Age from which a `sending` row is declared unconfirmed; must exceed requestTimeoutMs. */
  readonly sendingStaleMs: number;
  readonly retryDelayMsMax: number;
  /** First back-off after a network error or 5xx. */
  readonly retryDelayMsInitial?: number;
  /** How often an idle replica looks for due notifications. */
  readonly idlePollMs?: number;
  /** How often stale `sending` rows are swept and the queue depth is measured. */
  readonly sweepIntervalMs?: number;
  /** See GlobalRateLimiterOptions.headroom. */
  readonly rateHeadroom?: number;
  /** Added to 1 / chatRatePerSecond, for the time between a claim and the request's arrival. */
  readonly chatIntervalMarginMs?: number;
}

/** What the worker needs of the service context (a subset, so tests can run it without runService). */
export interface DeliveryContext {
  readonly namespace: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly redis: Redis | undefined;
  onShutdown(name: string, step: () => Promise<void>): void;
}

export interface DeliveryWorker {
  /** Stops claiming, lets requests in flight finish and their outcomes be recorded. */
  stop(timeoutMs?: number): Promise<void>;
}

const RETRY_DELAY_MS_INITIAL_DEFAULT = 500;
const IDLE_POLL_MS_DEFAULT = 200;
const SWEEP_INTERVAL_MS_DEFAULT = 5_000;
const RATE_HEADROOM_DEFAULT = 0.015;
const CHAT_INTERVAL_MARGIN_MS_DEFAULT = 50;
const CANDIDATES_MAX = 32;
/**
 * A send may leave at most this long after its slot. Slots are spaced `headroom` (1.5 %, 15 ms per
 * second) wider than the limit; lateness eats into that margin, and a burst of late sends after an
 * event-loop stall would put more than the limit into one sliding second.
 */
const SLOT_LATENESS_MS_MAX = 5;
/** Bounds of the head start a claim gets before its slot (see observeClaim). */
const CLAIM_LEAD_MS_MIN = 2;
const CLAIM_LEAD_MS_MAX = 100;
/** Claims the lead is taken from (shared by the replica's lanes). */
const RECENT_CLAIMS = 64;
/** Added to Telegram's retry_after: its whole seconds are rounded, the emulator's up. */
const RETRY_AFTER_MARGIN_MS = 100;
/** Back-off while PostgreSQL refuses an outcome write. */
const RECORD_RETRY_DELAY_MS_INITIAL = 200;
const RECORD_RETRY_DELAY_MS_MAX = 5_000;
const STOP_TIMEOUT_MS_DEFAULT = 10_000;

/**
 * Starts the sender lanes and the sweeper, both under `superviseLoop`, and registers their stop as
 * a shutdown step. Sweeps stale `sending` rows once before the first claim.
 *
 * @example
 * await startDelivery(context, database, deliveryOptionsFromConfig(config));
 */
export async function startDelivery(context: DeliveryContext, database: DatabaseHandle, options: DeliveryOptions): Promise<DeliveryWorker> {
  if (options.sendingStaleMs <= options.requestTimeoutMs) {
    throw new RangeError(`NOTIFY_SENDING_STALE_MS (${options.sendingStaleMs}) must exceed NOTIFY_REQUEST_TIMEOUT_MS (${options.requestTimeoutMs})`);
  }
  const logger = context.logger.child({ component: 'notify-delivery' });
  const metrics = createDeliveryMetrics(context.registry);
  const limiter = createGlobalRateLimiter({
    ratePerSecond: options.globalRatePerSecond,
    replicas: options.replicas,
    headroom: options.rateHeadroom ?? RATE_HEADROOM_DEFAULT,
    redis: context.redis,
    logger,
    onModeChange: (mode) => metrics.limiterOnRedis.set(mode === 'redis' ? 1 : 0),
  });
  metrics.limiterOnRedis.set(limiter.mode() === 'redis' ? 1 : 0);
  const sender = createTelegramSender({
    apiRoot: options.apiRoot,
    token: options.token,
    requestTimeoutMs: options.requestTimeoutMs,
    socketsMax: options.concurrency,
  });
  const stopping = new AbortController();
  const sweeper = new Sweeper(database, logger, metrics, options.sendingStaleMs);
  await sweeper.sweep();

  const lanes = new Lanes(context.namespace, database, logger, metrics, limiter, sender, options, stopping.signal);
  const senderLoop = superviseLoop({
    name: 'notify-delivery-sender',
    logger,
    registry: context.registry,
    delayMsInitial: 250,
    delayMsMax: 5_000,
    consecutiveErrorsAlert: 10,
    run: (signal) => lanes.run(signal),
  });
  const sweeperLoop = superviseLoop({
    name: 'notify-delivery-sweeper',
    logger,
    registry: context.registry,
    delayMsInitial: options.sweepIntervalMs ?? SWEEP_INTERVAL_MS_DEFAULT,
    delayMsMax: 30_000,
    consecutiveErrorsAlert: 10,
    run: () => sweeper.sweep(),
  });
  let stopped: Promise<void> | undefined;
  const worker: DeliveryWorker = {
    stop(timeoutMs = STOP_TIMEOUT_MS_DEFAULT) {
      stopped ??= (async () => {
        const loops: SupervisedLoop[] = [senderLoop, sweeperLoop];
        // The loops' own stop lets a lane finish recording its outcome; `stopping` then ends any
        // write still retrying against an unreachable PostgreSQL (the sweep settles that row).
        const timer = setTimeout(() => stopping.abort(), timeoutMs / 2);
        try {
          await Promise.all(loops.map((loop) => loop.stop(timeoutMs)));
        } finally {
          clearTimeout(timer);
          stopping.abort();
          sender.close();
        }
      })();
      return stopped;
    },
  };
  context.onShutdown('notify-delivery', () => worker.stop());
  logger.info(
    { globalRatePerSecond: options.globalRatePerSecond, chatRatePerSecond: options.chatRatePerSecond, replicas: options.replicas, concurrency: options.concurrency, limiter: limiter.mode() },
    'notification delivery started',
  );
  return worker;
}

// ---------------------------------------------------------------------------------------------
// Lanes: each one reserves a global slot, claims the next notification, sends it and records the
// outcome, one at a time. Claiming after the slot (not before) keeps the `sending` → request
// window to one claim transaction.
// ---------------------------------------------------------------------------------------------

class Lanes {
  private idleCheck: Promise<void> | undefined;
  private idle = false;
  private readonly recentClaimsMs: number[] = [];
  private recentClaimsNext = 0;
  private claimLeadMs = CLAIM_LEAD_MS_MIN;
  /** Network errors and 5xx in a row, across lanes: Telegram-wide trouble backs off everyone. */
  private failureStreak = 0;

  constructor(
    private readonly namespace: string,
    private readonly database: DatabaseHandle,
    private readonly logger: Logger,
    private readonly metrics: DeliveryMetrics,
    private readonly limiter: GlobalRateLimiter,
    private readonly sender: TelegramSender,
    private readonly options: DeliveryOptions,
    /** Aborted when the worker stops for good (not when a run restarts). */
    private readonly stopping: AbortSignal,
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    // One lane's failure (PostgreSQL gone) ends the others' claiming too; the supervisor restarts all.
    const lanesController = new AbortController();
    const onAbort = () => lanesController.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: this.options.concurrency }, () =>
          this.lane(lanesController.signal).catch((error: unknown) => {
            lanesController.abort(error);
            throw error;
          }),
        ),
      );
      const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure && !signal.aborted) throw failure.reason;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async lane(signal: AbortSignal): Promise<void> {
    const chatIntervalMs = 1_000 / this.options.chatRatePerSecond + (this.options.chatIntervalMarginMs ?? CHAT_INTERVAL_MARGIN_MS_DEFAULT);
    while (!signal.aborted) {
      if (this.idle) {
        await this.waitForWork(signal);
        continue;
      }
      let slotAtMs = await this.reserveSlot();
      // Claim just early enough to be ready at the slot: the claim's own time must not shift the send.
      await sleepUntil(slotAtMs - this.claimLeadMs, signal);
      if (performance.now() > slotAtMs + SLOT_LATENESS_MS_MAX) {
        this.metrics.slotsMissed.inc({ reason: 'late_wake' });
        continue;
      }
      const claimStartedMs = performance.now();
      const claim = await claimNextNotification(this.database, { chatIntervalMs, candidatesMax: CANDIDATES_MAX });
      this.observeClaim(performance.now() - claimStartedMs);
      if (claim.skippedBlocked > 0) this.metrics.outcomes.inc({ outcome: 'skipped_blocked' }, claim.skippedBlocked);
      if (claim.notification === undefined) {
        this.idle = true;
        continue;
      }
      // A claim that overran its slot waits for a new one: a late send would crowd the next sends
      // into one of Telegram's one-second windows. The wait is only ever a few slots long.
      while (performance.now() > slotAtMs + SLOT_LATENESS_MS_MAX) {
        this.metrics.slotsMissed.inc({ reason: 'late_claim' });
        slotAtMs = await this.reserveSlot();
        await sleepUntil(slotAtMs, this.stopping).catch(() => undefined);
      }
      await sleepUntil(slotAtMs, this.stopping).catch(() => undefined);
      await this.deliver(claim.notification);
    }
  }

  /** The next global slot, as a `performance.now()` time. */
  private async reserveSlot(): Promise<number> {
    const waitMs = await this.limiter.reserve();
    return performance.now() + waitMs;
  }

  /**
   * The lead is the longest of the last claims (plus a little), within bounds: claim times have a
   * long tail, and a claim that finishes after its slot costs the slot. A longer lead costs time in
   * `sending` before the request (at most CLAIM_LEAD_MS_MAX, the crash window of ADR 10).
   */
  private observeClaim(claimMs: number): void {
    this.metrics.claimSeconds.observe(claimMs / 1_000);
    this.recentClaimsMs[this.recentClaimsNext] = claimMs;
    this.recentClaimsNext = (this.recentClaimsNext + 1) % RECENT_CLAIMS;
    this.claimLeadMs = Math.min(CLAIM_LEAD_MS_MAX, Math.max(CLAIM_LEAD_MS_MIN, Math.max(...this.recentClaimsMs) + 1));
  }

  /** One lane polls for due work while the rest wait on it, so an idle replica spends no slots. */
  private waitForWork(signal: AbortSignal): Promise<void> {
    this.idleCheck ??= (async () => {
      try {
        await sleep(this.options.idlePollMs ?? IDLE_POLL_MS_DEFAULT, signal);
        const due = await this.database.sql`select exists (select 1 from notifications where state = 'pending' and not_before <= now()) as due`;
        if (due[0]?.['due'] === true) this.idle = false;
      } finally {
        this.idleCheck = undefined;
      }
    })();
    return this.idleCheck;
  }

  private async deliver(notification: ClaimedNotification): Promise<void> {
    const startedMs = performance.now();
    const result = await this.sender.sendMessage(notification.chatId, notification.text, notification.entities);
    const { outcome, label } = this.decide(notification, result);
    this.metrics.sendSeconds.observe({ outcome: label }, (performance.now() - startedMs) / 1_000);
    this.metrics.outcomes.inc({ outcome: label });
    await this.record(notification, outcome);
  }

  private decide(notification: ClaimedNotification, result: SendResult): { outcome: DeliveryOutcome; label: DeliveryOutcomeLabel } {
    const fields = { notificationId: notification.id, chatId: notification.chatId.toString(), template: notification.template, attempts: notification.attempts };
    if (result.kind === 'ok') {
      this.failureStreak = 0;
      return { outcome: { kind: 'delivered', telegramMessageId: result.messageId }, label: 'delivered' };
    }
    if (result.kind === 'unknown') {
      this.metrics.unconfirmed.inc({ reason: 'timeout' });
      this.logger.error({ ...fields, error: result.error, alert: true }, 'notification outcome unknown: marked unconfirmed, never sent again');
      return { outcome: { kind: 'unconfirmed', error: result.error }, label: 'unconfirmed' };
    }
    if (result.kind === 'not-sent') return this.transientFailure(fields, `not sent: ${result.error}`);
    const error = `${result.status} ${result.description}`;
    if (result.status === 429) {
      this.failureStreak = 0;
      this.metrics.http429.inc();
      const delayMs = (result.retryAfterS ?? 1) * 1_000 + RETRY_AFTER_MARGIN_MS;
      void this.limiter.pause(delayMs).catch(() => undefined);
      this.limiter.slowDown();
      this.logger.warn({ ...fields, retryAfterS: result.retryAfterS, slowdown: this.limiter.slowdownFactor() }, 'Telegram flood control (429): pausing');
      return { outcome: { kind: 'retry', delayMs, error }, label: 'rate_limited' };
    }
    if (result.status >= 500) return this.transientFailure(fields, error);
    this.failureStreak = 0;
    if (result.status === 403) {
      this.logger.info(fields, 'the user has blocked the bot: notification blocked');
      return { outcome: { kind: 'blocked', error }, label: 'blocked' };
    }
    if (result.status === 401 || result.status === 404) {
      // A wrong token or API root refuses every message alike; failing them all would drop the
      // queue over a configuration mistake, so they wait until it is fixed.
      this.logger.error({ ...fields, error, alert: true }, 'Telegram refused the bot token or API root: retrying until fixed');
      return { outcome: { kind: 'retry', delayMs: this.options.retryDelayMsMax, error }, label: 'retry' };
    }
    this.logger.warn({ ...fields, error }, 'Telegram refused the notification: failed');
    return { outcome: { kind: 'failed', error }, label: 'failed' };
  }

  private transientFailure(fields: Record<string, unknown>, error: string): { outcome: DeliveryOutcome; label: DeliveryOutcomeLabel } {
    const attempt = Math.min(this.failureStreak, 30);
    this.failureStreak += 1;
    const initial = this.options.retryDelayMsInitial ?? RETRY_DELAY_MS_INITIAL_DEFAULT;
    const delayMs = Math.min(this.options.retryDelayMsMax, initial + backoffDelayMs(attempt, { delayMsInitial: initial, delayMsMax: this.options.retryDelayMsMax }));
    // Telegram unreachable is the same for every chat: the whole replica (and, through Redis,
    // every replica) waits instead of running through the queue failing each message.
    void this.limiter.pause(delayMs).catch(() => undefined);
    this.logger.warn({ ...fields, error, retryInMs: delayMs, failureStreak: this.failureStreak }, 'Telegram unreachable: retrying later');
    return { outcome: { kind: 'retry', delayMs, error }, label: 'retry' };
  }

  /** Records the outcome, retrying while PostgreSQL is away; gives up only when the worker stops. */
  private async record(notification: ClaimedNotification, outcome: DeliveryOutcome): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const recorded = await recordDeliveryOutcome(this.database, this.namespace, notification, outcome);
        if (!recorded) this.logger.warn({ notificationId: notification.id, outcome: outcome.kind }, 'notification was no longer sending; outcome not recorded');
        return;
      } catch (error) {
        if (this.stopping.aborted) {
          this.logger.error(
            { err: error, notificationId: notification.id, outcome: outcome.kind, alert: true },
            'outcome not recorded before stop: the row stays sending and will be swept to unconfirmed',
          );
          return;
        }
        const delayMs = Math.max(RECORD_RETRY_DELAY_MS_INITIAL, backoffDelayMs(attempt, { delayMsInitial: RECORD_RETRY_DELAY_MS_INITIAL, delayMsMax: RECORD_RETRY_DELAY_MS_MAX }));
        this.logger.warn({ err: error, notificationId: notification.id, retryInMs: delayMs }, 'could not record a notification outcome; retrying');
        await sleep(delayMs, this.stopping).catch(() => undefined);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sweeper: `sending` rows nobody will finish (their sender died) become unconfirmed; the queue
// depth gauge is refreshed on the same beat.
// ---------------------------------------------------------------------------------------------

class Sweeper {
  constructor(
    private readonly database: DatabaseHandle,
    private readonly logger: Logger,
    private readonly metrics: DeliveryMetrics,
    private readonly staleMs: number,
  ) {}

  async sweep(): Promise<void> {
    const stale = await sweepStaleSending(this.database, this.staleMs);
    for (const row of stale) {
      this.metrics.unconfirmed.inc({ reason: 'stale' });
      this.metrics.outcomes.inc({ outcome: 'unconfirmed' });
      this.logger.error(
        { notificationId: row.id, chatId: row.chatId.toString(), template: row.template, causationId: row.causationId, alert: true },
        'notification found sending with no outcome (its sender stopped): marked unconfirmed, never sent again',
      );
    }
    const depth = await countPendingByPriority(this.database);
    for (const priority of [0, 1, 2, 3]) this.metrics.queueDepth.set({ priority: String(priority) }, depth.get(priority) ?? 0);
  }
}

/** Sleeps until `atMs` (a `performance.now()` time); returns at once when it has passed. */
async function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  const waitMs = atMs - performance.now();
  if (waitMs > 0) await sleep(waitMs, signal);
}
