import { createHmac } from 'node:crypto';
import type { DbExecutor } from '@strongbox/shared-db';
import type { ServiceContext, RuntimeConfig } from '@strongbox/shared-runtime';
import { createExchangeRates, type ExchangeRates } from './rates/index';
import { createUserFloodLimit, type UserFloodLimit } from './limits/index';
import { createVersionedSessionStorage, type VersionedSessionStorage } from './sessions/index';
import { startGatewayHousekeeping } from './housekeeping/gateway.housekeeping';

// The gateway's platform pieces, built from the config with their lifecycle (start, readiness,
// shutdown) registered on the service context: session storage, flood limit, the key and maximum
// age of the signed buttons, exchange rates, and the housekeeping of button intents and sessions.
// The bot's composition takes them from here.

export interface GatewayPlatformConfig extends RuntimeConfig {
  readonly BOT_TOKEN: string;
  readonly BOT_CALLBACK_SECRET?: string | undefined;
  readonly BOT_BUTTON_MAX_AGE_S: number;
  readonly BOT_FLOOD_UPDATES_MAX: number;
  readonly BOT_FLOOD_WINDOW_S: number;
  readonly BOT_FLOOD_SILENCE_S: number;
  readonly SESSION_REDIS_TTL_MS: number;
  readonly SESSION_SYNC_INTERVAL_MS: number;
  readonly RATES_API_URL?: string | undefined;
  readonly RATES_SYNC_INTERVAL_MS: number;
  readonly RATES_STALE_AFTER_MS: number;
}

export interface GatewayPlatform<S> {
  readonly sessions: VersionedSessionStorage<S>;
  readonly floodLimit: UserFloodLimit;
  /** Key of the signed buttons (`createCallbackDataCodec(callbackSecret)`). */
  readonly callbackSecret: string;
  /** Age from which a button is refused as expired (BOT_BUTTON_MAX_AGE_S), in ms. */
  readonly buttonMaxAgeMs: number;
  /** Undefined without RATES_API_URL: balances are shown without fiat values. */
  readonly rates: ExchangeRates | undefined;
}

/**
 * The key of the signed buttons: BOT_CALLBACK_SECRET, or one derived from the bot token (as secret
 * as the token itself; buttons signed with it become invalid when the token changes).
 */
export function callbackSecretOf(config: Pick<GatewayPlatformConfig, 'BOT_TOKEN' | 'BOT_CALLBACK_SECRET'>): string {
  return config.BOT_CALLBACK_SECRET ?? createHmac('sha256', config.BOT_TOKEN).update('strongbox callback data key v1').digest('base64url');
}

export async function startGatewayPlatform<S, C extends GatewayPlatformConfig>(context: ServiceContext<C>, db: DbExecutor): Promise<GatewayPlatform<S>> {
  const { config, logger, redis, registry } = context;
  const sessions = createVersionedSessionStorage<S>({
    db,
    redis,
    logger: logger.child({ component: 'sessions' }),
    registry,
    redisTtlMs: config.SESSION_REDIS_TTL_MS,
    syncIntervalMs: config.SESSION_SYNC_INTERVAL_MS,
  });
  sessions.start();
  context.readiness.add(sessions.breaker.healthCheck(false));
  context.onShutdown('session sync', () => sessions.stop());

  const floodLimit = createUserFloodLimit({
    redis,
    logger: logger.child({ component: 'flood-limit' }),
    updatesMax: config.BOT_FLOOD_UPDATES_MAX,
    windowSeconds: config.BOT_FLOOD_WINDOW_S,
    silenceSeconds: config.BOT_FLOOD_SILENCE_S,
    // The sessions' breaker is the gateway's view of Redis: open means a hung or lost Redis.
    redisUsable: () => sessions.breaker.state() !== 'open',
  });

  let rates: ExchangeRates | undefined;
  if (config.RATES_API_URL) {
    const started = createExchangeRates({
      url: config.RATES_API_URL,
      redis,
      logger: logger.child({ component: 'rates' }),
      registry,
      syncIntervalMs: config.RATES_SYNC_INTERVAL_MS,
      staleAfterMs: config.RATES_STALE_AFTER_MS,
    });
    await started.start();
    context.onShutdown('rates sync', () => started.stop());
    rates = started;
  }
  const buttonMaxAgeMs = config.BOT_BUTTON_MAX_AGE_S * 1_000;
  const housekeeping = startGatewayHousekeeping({
    db,
    logger: logger.child({ component: 'gateway-housekeeping' }),
    registry,
    buttonMaxAgeMs,
    sessionRedisTtlMs: config.SESSION_REDIS_TTL_MS,
  });
  context.onShutdown('gateway housekeeping', () => housekeeping.stop(Math.max(1_000, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4))));

  if (!config.BOT_CALLBACK_SECRET) logger.info('BOT_CALLBACK_SECRET unset: button signatures use a key derived from the bot token');
  return { sessions, floodLimit, callbackSecret: callbackSecretOf(config), buttonMaxAgeMs, rates };
}
