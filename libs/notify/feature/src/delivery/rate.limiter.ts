import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

// ---------------------------------------------------------------------------------------------
// The global send rate, shared by every notifier replica through Redis, with an in-memory
// per-replica share when Redis cannot be reached.
//
// Written by hand (GCRA, the generic cell rate algorithm, in a few lines of Lua) because
// rate-limiter-flexible counts fixed windows: its `RateLimiterRedis` lets `points` through at the
// end of one window and `points` more at the start of the next, 2x the limit within one second,
// and Telegram (like the emulator) counts sliding one-second windows, so that burst is answered
// with 429. `execEvenly` only spreads calls inside one process. GCRA instead hands out one slot
// per `1 / rate` seconds to whoever asks, across all replicas, so sends are evenly spaced and no
// sliding window ever holds more than the limit.
// ---------------------------------------------------------------------------------------------

/**
 * Reserves the next global slot; returns the slot and Redis' time, in microseconds of Redis' clock,
 * the one clock all replicas share.
 */
const RESERVE_SCRIPT = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(tat, now)
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX', ARGV[2])
return { slot, now }
`;

/** Pushes the next slot to at least now + ARGV[1] microseconds (Telegram's retry_after). */
const PAUSE_SCRIPT = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_us = math.max(tat, now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], string.format('%.0f', until_us), 'PX', ARGV[2])
return until_us - now
`;

const KEY = 'delivery:global-rate:tat';
/** The key outlives any slot it hands out; an idle stack leaves nothing behind. */
const KEY_TTL_MS = 60_000;
/** A reservation never lies further ahead than this (the worker's concurrency keeps it far below). */
const RESERVATION_AHEAD_MS_MAX = 60_000;

export type RateLimiterMode = 'redis' | 'memory';

export interface GlobalRateLimiter {
  /** Reserves the next send slot; resolves to the milliseconds to wait before sending in it. */
  reserve(): Promise<number>;
  /** No slot before now + `pauseMs`, for every replica (Redis) or this one (memory). */
  pause(pauseMs: number): Promise<void>;
  /** Where the last reservation came from. */
  mode(): RateLimiterMode;
  /**
   * Telegram refused a send (429) although the pace kept the limit: the requests' arrival times
   * jitter more than the headroom absorbs. This replica spaces its slots wider for a while.
   */
  slowDown(): void;
  /** The current spacing factor (1 = the configured rate less the headroom). */
  slowdownFactor(): number;
}

export interface GlobalRateLimiterOptions {
  /** Sends per second across all replicas. */
  readonly ratePerSecond: number;
  /** Replicas sharing the limit; without Redis each keeps `ratePerSecond / replicas`. */
  readonly replicas: number;
  /**
   * Fraction by which slots are spaced wider than `1 / rate`: the request leaves a few
   * milliseconds after its slot (claim, HTTP), and that jitter must not fit one send too many into
   * a one-second window. 0.015 costs 1.5 % of throughput and absorbs 15 ms of lateness per second.
   */
  readonly headroom: number;
  readonly redis: Redis | undefined;
  readonly logger: Logger;
  readonly onModeChange?: (mode: RateLimiterMode) => void;
}

/** Creates the limiter; see the file comment for why GCRA and not a fixed window. */
export function createGlobalRateLimiter(options: GlobalRateLimiterOptions): GlobalRateLimiter {
  if (!(options.ratePerSecond > 0) || !Number.isInteger(options.replicas) || options.replicas < 1 || !(options.headroom >= 0 && options.headroom < 1)) {
    throw new RangeError('createGlobalRateLimiter: ratePerSecond > 0, replicas a positive integer and headroom in [0, 1) are required');
  }
  const baseIntervalUs = (1_000_000 / options.ratePerSecond) * (1 + options.headroom);
  const slowdown = createSlowdown();
  const sharedIntervalUs = (): number => baseIntervalUs * slowdown.factor();
  const local = createLocalGcra(() => sharedIntervalUs() * options.replicas);
  let mode: RateLimiterMode = options.redis ? 'redis' : 'memory';
  const setMode = (next: RateLimiterMode, error?: unknown): void => {
    if (next === mode) return;
    mode = next;
    if (next === 'memory') options.logger.warn({ err: error, replicas: options.replicas }, 'global rate limiter: Redis unavailable, using this replica’s share');
    else options.logger.info('global rate limiter: back on Redis');
    options.onModeChange?.(next);
  };
  const redis = options.redis;
  const clock = createRedisClock();

  return {
    async reserve() {
      if (redis && redis.status === 'ready') {
        try {
          const [slotUs, redisNowUs] = (await redis.eval(RESERVE_SCRIPT, 1, KEY, Math.round(sharedIntervalUs()), KEY_TTL_MS)) as [number, number];
          const waitUs = clock.toLocalUs(Number(slotUs), Number(redisNowUs)) - performance.now() * 1_000;
          setMode('redis');
          // While Redis works the local limiter follows along, so a fall-back starts from a recent slot.
          local.follow(Math.max(0, waitUs));
          return Math.min(waitUs / 1_000, RESERVATION_AHEAD_MS_MAX);
        } catch (error) {
          setMode('memory', error);
        }
      } else if (redis) {
        setMode('memory', new Error(`redis connection ${redis.status}`));
      }
      return Math.min(local.reserve() / 1_000, RESERVATION_AHEAD_MS_MAX);
    },
    async pause(pauseMs) {
      local.pause(pauseMs * 1_000);
      if (!redis || redis.status !== 'ready') return;
      try {
        await redis.eval(PAUSE_SCRIPT, 1, KEY, Math.round(pauseMs * 1_000), KEY_TTL_MS + pauseMs);
      } catch (error) {
        setMode('memory', error);
      }
    },
    mode: () => mode,
    slowDown: () => slowdown.bump(),
    slowdownFactor: () => slowdown.factor(),
  };
}

/**
 * The same algorithm in memory, on the monotonic clock (a wall-clock step must not open a burst),
 * in microseconds.
 */
function createLocalGcra(intervalUs: () => number) {
  let tatUs = 0;
  const nowUs = (): number => performance.now() * 1_000;
  return {
    reserve(): number {
      const now = nowUs();
      const slot = Math.max(tatUs, now);
      tatUs = slot + intervalUs();
      return slot - now;
    },
    /** Follows a slot handed out by Redis, `waitUs` from now. */
    follow(waitUs: number): void {
      tatUs = Math.max(tatUs, nowUs() + waitUs + intervalUs());
    },
    pause(pauseUs: number): void {
      tatUs = Math.max(tatUs, nowUs() + pauseUs);
    },
  };
}

/** How long one minimum of the clock offset is trusted before a fresher one replaces it (drift). */
const CLOCK_WINDOW_MS = 10_000;

/**
 * Maps Redis' clock onto this process's monotonic clock. Each reply gives
 * `local receipt time − Redis time` = offset + the reply's delay (never negative), so the smallest
 * recent value is the best estimate of the offset. Using the receipt time itself instead would
 * shift each slot by its reply's delay: two slots 30 sends apart whose replies were delayed
 * differently would be closer than they should, enough to fit one send too many into a window.
 */
function createRedisClock() {
  let currentMinMs = Number.POSITIVE_INFINITY;
  let previousMinMs = Number.POSITIVE_INFINITY;
  let windowStartedMs = performance.now();
  return {
    /** The local (`performance.now()`, in µs) time of a slot given in Redis' µs, from a reply carrying Redis' `now`. */
    toLocalUs(slotUs: number, redisNowUs: number): number {
      const receivedMs = performance.now();
      if (receivedMs - windowStartedMs > CLOCK_WINDOW_MS) {
        previousMinMs = currentMinMs;
        currentMinMs = Number.POSITIVE_INFINITY;
        windowStartedMs = receivedMs;
      }
      currentMinMs = Math.min(currentMinMs, receivedMs - redisNowUs / 1_000);
      const offsetMs = Math.min(currentMinMs, previousMinMs);
      return (slotUs / 1_000 + offsetMs) * 1_000;
    },
  };
}

/** Each 429 widens the spacing by this much (additively), up to SLOWDOWN_FACTOR_MAX. */
const SLOWDOWN_STEP = 0.02;
const SLOWDOWN_FACTOR_MAX = 1.25;
/** The widening fades exponentially with this time constant once refusals stop. */
const SLOWDOWN_DECAY_MS = 30_000;

/**
 * Additive increase on refusal, exponential decay back to 1: under jitter the pace settles where
 * Telegram stops refusing, and returns to the configured rate when conditions improve.
 */
function createSlowdown() {
  let extra = 0;
  let atMs = performance.now();
  const current = (): number => extra * Math.exp(-(performance.now() - atMs) / SLOWDOWN_DECAY_MS);
  return {
    factor: (): number => 1 + current(),
    bump(): void {
      extra = Math.min(SLOWDOWN_FACTOR_MAX - 1, current() + SLOWDOWN_STEP);
      atMs = performance.now();
    },
  };
}
