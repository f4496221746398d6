import type { I18nFlavor } from '@grammyjs/i18n';
import type { Context, MiddlewareFn } from 'grammy';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

// Per-user flood limit on updates. Counters live in Redis so every gateway process shares them;
// each Redis limiter has an in-memory insurance limiter with the same limits, so a Redis outage
// only makes the counting per process (no visible change for a user within the limit).

export interface UserFloodLimitOptions {
  /** The service's Redis (with its key prefix); undefined counts in memory only. */
  readonly redis: Redis | undefined;
  readonly logger: Logger;
  /** Updates one user may send per window. */
  readonly updatesMax: number;
  /** Length of the counting window, in seconds. */
  readonly windowSeconds: number;
  /** After the "slow down" answer, how long further updates over the limit are ignored silently, in seconds. */
  readonly silenceSeconds: number;
  /**
   * Whether Redis is worth asking (e.g. the session storage's Redis breaker is not open). A hung
   * Redis answers nothing until the client's command timeout; while this says no, the counting goes
   * straight to the in-memory limiters instead of waiting for that timeout on every update.
   */
  readonly redisUsable?: () => boolean;
}

/** Text key of the one answer a flooding user gets (gateway-platform.ftl). */
export const SLOW_DOWN_TEXT_KEY = 'platform-slow-down';

/** What the limiter decided for one update. */
export const FloodDecisions = { pass: 'pass', warn: 'warn', drop: 'drop' } as const;
export type FloodDecision = (typeof FloodDecisions)[keyof typeof FloodDecisions];

export interface UserFloodLimit {
  /** Counts one update of `telegramUserId`. */
  check(telegramUserId: number): Promise<FloodDecision>;
  /**
   * Runs the chain for updates within the limit; answers the first update over it, drops the rest.
   * The answer is `slowDownText(ctx)`, by default `ctx.t('platform-slow-down')` (i18n installed before).
   */
  middleware<C extends Context>(slowDownText?: (ctx: C) => string): MiddlewareFn<C>;
}

interface Limiters {
  readonly redis: RateLimiterAbstract | undefined;
  readonly memory: RateLimiterMemory;
}

function limiters(options: UserFloodLimitOptions, keyPrefix: string, points: number, durationSeconds: number): Limiters {
  const memory = new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
  if (!options.redis) return { redis: undefined, memory };
  const redis = new RateLimiterRedis({
    storeClient: options.redis,
    useRedisPackage: false,
    keyPrefix,
    points,
    duration: durationSeconds,
    // While the client is not connected, go straight to the insurance limiter instead of waiting.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
  return { redis, memory };
}

export function createUserFloodLimit(options: UserFloodLimitOptions): UserFloodLimit {
  for (const [name, value] of [
    ['updatesMax', options.updatesMax],
    ['windowSeconds', options.windowSeconds],
    ['silenceSeconds', options.silenceSeconds],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`createUserFloodLimit: ${name} must be a positive integer, got ${value}`);
  }
  const updates = limiters(options, 'flood:updates', options.updatesMax, options.windowSeconds);
  // One "slow down" per silence period: the first update over the limit takes this single point.
  const warnings = limiters(options, 'flood:warned', 1, options.silenceSeconds);
  const redisUsable = options.redisUsable ?? (() => true);

  async function tryConsume(target: Limiters, key: string): Promise<boolean> {
    const limiter = target.redis && redisUsable() ? target.redis : target.memory;
    try {
      await limiter.consume(key, 1);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      // Neither Redis nor the insurance limiter answered: never block users for our own failure.
      options.logger.warn({ err: rejection }, 'flood limiter failed; update let through');
      return true;
    }
  }

  async function check(telegramUserId: number): Promise<FloodDecision> {
    const key = String(telegramUserId);
    if (await tryConsume(updates, key)) return FloodDecisions.pass;
    return (await tryConsume(warnings, key)) ? FloodDecisions.warn : FloodDecisions.drop;
  }

  return {
    check,
    middleware<C extends Context>(slowDownText?: (ctx: C) => string): MiddlewareFn<C> {
      const text = slowDownText ?? ((ctx: C) => (ctx as C & Partial<I18nFlavor>).t?.(SLOW_DOWN_TEXT_KEY) ?? SLOW_DOWN_TEXT_KEY);
      return async (ctx, next) => {
        const from = ctx.from;
        if (!from) return next();
        const decision = await check(from.id);
        if (decision === FloodDecisions.pass) return next();
        options.logger.info({ telegramUserId: from.id, decision }, 'update over the flood limit');
        // A press still gets its answer, so the user's client stops its spinner.
        if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
        if (decision === FloodDecisions.warn && ctx.chat) await ctx.api.sendMessage(ctx.chat.id, text(ctx));
      };
    },
  };
}
