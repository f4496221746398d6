import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Asset } from '@strongbox/shared-domain';
import { createCircuitBreaker, retryWithBackoff, superviseLoop, TransientError, type SupervisedLoop } from '@strongbox/shared-resilience';
import { fiatAmount } from './fiat.conversion';
import { fetchRates, type RatesSnapshot } from './rates.api';

// ---------------------------------------------------------------------------------------------
// Exchange rates for display: a background sync from the rates API (retry, breaker) into memory
// and Redis, so every gateway process — also one started while the API is down — has the newest
// rates any of them fetched. Values are served from memory at once; a stale rate is served with
// its age and triggers a refresh (stale-while-revalidate). Never used to move money.
// ---------------------------------------------------------------------------------------------

export interface ExchangeRatesOptions {
  /** The rates API (see rates.api.ts for its JSON shape). */
  readonly url: string;
  /** The service's Redis; undefined keeps the rates in memory only. */
  readonly redis: Redis | undefined;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** Pause between syncs (RATES_SYNC_INTERVAL_MS). */
  readonly syncIntervalMs: number;
  /** From this age (now − asOf) a rate is shown as stale with its age (RATES_STALE_AFTER_MS). */
  readonly staleAfterMs: number;
  /** Time limit of one API call. Default 5 s. */
  readonly fetchTimeoutMs?: number;
  /** Calls per sync, the first included. Default 3. */
  readonly fetchAttemptsMax?: number;
  /** Back-off between calls. Defaults 200 ms .. 2 s. */
  readonly retryDelayMsInitial?: number;
  readonly retryDelayMsMax?: number;
  /** Failed syncs in a row that open the breaker; it lets one call through after `syncIntervalMs`. Default 3. */
  readonly breakerFailures?: number;
  readonly now?: () => number;
}

/** A fiat value for display. */
export interface FiatValue {
  /** Decimal string with two decimals, e.g. `1140.86`. */
  readonly value: string;
  readonly fiat: string;
  /** When the rate was true, as the API said. */
  readonly asOf: Date;
  readonly ageMs: number;
  /** The rate is older than `staleAfterMs`: show its age. */
  readonly stale: boolean;
}

export interface ExchangeRates {
  /** `amountMinor` of `asset` in `fiat`, or undefined when no rate is known. */
  fiatValue(amountMinor: bigint, asset: Asset, fiat: string): FiatValue | undefined;
  /** One sync: the API, or Redis when the API fails. Resolves to whether newer rates were taken. Never throws. */
  refresh(): Promise<boolean>;
  /** Loads what Redis holds, then syncs every `syncIntervalMs`. */
  start(): Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
  /** The rates in memory, if any. */
  snapshot(): RatesSnapshot | undefined;
}

const REDIS_KEY = 'rates:latest';
/** Redis keeps the rates this long without a sync; beyond, no rate is better than a day-old one. */
const REDIS_TTL_MS = 24 * 60 * 60_000;

function encode(snapshot: RatesSnapshot): string {
  return JSON.stringify({ asOf: snapshot.asOf.toISOString(), rates: snapshot.rates });
}

function decode(json: string): RatesSnapshot | undefined {
  try {
    const value = JSON.parse(json) as { asOf?: unknown; rates?: unknown };
    if (typeof value.asOf !== 'string' || typeof value.rates !== 'object' || value.rates === null) return undefined;
    const asOf = new Date(value.asOf);
    return Number.isNaN(asOf.getTime()) ? undefined : { asOf, rates: value.rates as RatesSnapshot['rates'] };
  } catch {
    return undefined;
  }
}

export function createExchangeRates(options: ExchangeRatesOptions): ExchangeRates {
  const now = options.now ?? Date.now;
  const logger = options.logger;
  const breaker = createCircuitBreaker({
    name: 'rates-api',
    consecutiveFailures: options.breakerFailures ?? 3,
    halfOpenAfterMs: options.syncIntervalMs,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  let current: RatesSnapshot | undefined;
  let inFlight: Promise<boolean> | undefined;
  let loop: SupervisedLoop | undefined;

  /** Takes `snapshot` if it is newer than what memory holds. */
  function adopt(snapshot: RatesSnapshot | undefined): boolean {
    if (!snapshot || (current && snapshot.asOf.getTime() <= current.asOf.getTime())) return false;
    current = snapshot;
    return true;
  }

  async function fromRedis(): Promise<RatesSnapshot | undefined> {
    if (!options.redis) return undefined;
    try {
      const json = await options.redis.get(REDIS_KEY);
      return json === null ? undefined : decode(json);
    } catch (error) {
      logger.debug({ err: error }, 'rates: redis read failed');
      return undefined;
    }
  }

  async function toRedis(snapshot: RatesSnapshot): Promise<void> {
    if (!options.redis) return;
    try {
      // Another process may have stored newer rates meanwhile; keep theirs.
      const stored = decode((await options.redis.get(REDIS_KEY)) ?? '');
      if (stored && stored.asOf.getTime() >= snapshot.asOf.getTime()) return;
      await options.redis.set(REDIS_KEY, encode(snapshot), 'PX', REDIS_TTL_MS);
    } catch (error) {
      logger.debug({ err: error }, 'rates: redis write failed');
    }
  }

  async function syncOnce(): Promise<boolean> {
    try {
      const fetched = await breaker.execute((signal) =>
        retryWithBackoff((_attempt, attemptSignal) => fetchRates(options.url, { timeoutMs: options.fetchTimeoutMs ?? 5_000, signal: attemptSignal, nowMs: now }), {
          attemptsMax: options.fetchAttemptsMax ?? 3,
          delayMsInitial: options.retryDelayMsInitial ?? 200,
          delayMsMax: options.retryDelayMsMax ?? 2_000,
          isRetryable: (error) => error instanceof TransientError,
          signal,
        }),
      );
      const taken = adopt(fetched);
      if (taken) await toRedis(fetched);
      return taken;
    } catch (error) {
      logger.warn({ err: error }, 'rates: sync from the API failed; serving the last rates known');
      return adopt(await fromRedis());
    }
  }

  function refresh(): Promise<boolean> {
    inFlight ??= syncOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    fiatValue(amountMinor, asset, fiat) {
      const snapshot = current;
      const rate = snapshot?.rates[asset.code]?.[fiat];
      if (!snapshot || rate === undefined) return undefined;
      const ageMs = Math.max(0, now() - snapshot.asOf.getTime());
      const stale = ageMs > options.staleAfterMs;
      if (stale) void refresh();
      return { value: fiatAmount(amountMinor, asset.decimals, rate), fiat, asOf: snapshot.asOf, ageMs, stale };
    },
    refresh,
    snapshot: () => current,
    async start() {
      if (loop) return;
      adopt(await fromRedis());
      loop = superviseLoop({
        name: 'rates-sync',
        logger,
        ...(options.registry ? { registry: options.registry } : {}),
        delayMsInitial: options.syncIntervalMs,
        delayMsMax: options.syncIntervalMs,
        consecutiveErrorsAlert: 10,
        run: async (signal) => {
          while (!signal.aborted) {
            await refresh();
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, options.syncIntervalMs);
              signal.addEventListener('abort', () => {
                clearTimeout(timer);
                resolve();
              }, { once: true });
            });
          }
        },
      });
    },
    async stop(timeoutMs) {
      const running = loop;
      loop = undefined;
      await running?.stop(timeoutMs);
      await inFlight?.catch(() => undefined);
    },
  };
}

/** The translated line for a fiat value (gateway-platform.ftl). */
export function fiatValueText(t: (key: string, variables?: Record<string, string | number>) => string, value: FiatValue | undefined): string {
  if (!value) return t('platform-fiat-value-unknown');
  if (!value.stale) return t('platform-fiat-value', { value: value.value, fiat: value.fiat });
  return t('platform-fiat-value-stale', { value: value.value, fiat: value.fiat, minutes: Math.floor(value.ageMs / 60_000) });
}
