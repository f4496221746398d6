import { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { durableName, streamName, telegramUpdateSubject, deadLetterSubject, StreamBases, userBlacklistChangedV1 } from '@strongbox/shared-contracts';
import type { ServiceContext, RuntimeConfig } from '@strongbox/shared-runtime';
import { consumeEventOnce, startServiceInboxHousekeeping } from '@strongbox/shared-runtime';
import { createCommandClient, watchFlags } from '@strongbox/shared-messaging';
import { defineAsset } from '@strongbox/shared-domain';
import { createI18n } from '@strongbox/shared-i18n';
import { gatewayMigrationsFolder, gatewaySchema, setBlacklisted } from '@strongbox/gateway-data-access';
import { apologizeForUpdate } from './apology.consumer';
import { createPingComposer } from './ping.composer';
import { startGatewayPlatform, type GatewayPlatformConfig } from './platform';
import { languageFromTelegram } from './flows/user.middleware';
import type { BotContext, BotSession } from './flows/flow.context';
import { installGatewayBot } from './gateway.bot';
import { setLocalizedCommands } from './flows/commands.menu';
import { serveGatewayAdminCommands } from './admin.commands';
import { SLOW_DOWN_TEXT_KEY } from './limits/index';
import { createTelegramIngress } from './telegram-ingress';
import { telegramFloodControl } from './telegram.flood-control';
import { decodeStoredUpdate } from './update.decode';
import { createUpdateOutcomes } from './update.outcomes';
import { createUpdateStore } from './update.store';
import { createUpdateWorker } from './update.worker';
import { createWebhookIngress } from './webhook.ingress';
import { registerWebhook } from './webhook.registration';

export interface BotGatewayConfig extends RuntimeConfig, GatewayPlatformConfig {
  readonly BOT_TOKEN: string;
  readonly TELEGRAM_API_ROOT: string;
  readonly TELEGRAM_UPDATE_PARTITIONS: number;
  readonly TELEGRAM_UPDATE_RETRY_DELAY_MS: number;
  readonly TELEGRAM_UPDATE_ACK_WAIT_MS: number;
  readonly TELEGRAM_INGRESS: 'webhook' | 'polling';
  readonly TELEGRAM_WEBHOOK_URL?: string | undefined;
  readonly TELEGRAM_WEBHOOK_SECRET?: string | undefined;
  readonly TELEGRAM_WEBHOOK_HOST: string;
  readonly TELEGRAM_WEBHOOK_PORT: number;
  readonly TELEGRAM_WEBHOOK_PATH: string;
  readonly TELEGRAM_WEBHOOK_STORE_TIMEOUT_MS: number;
  readonly TELEGRAM_WEBHOOK_MAX_CONNECTIONS: number;
  readonly WALLET_ASSET: string;
  readonly WALLET_ASSET_DECIMALS: number;
  readonly SERVICE_CALL_TIMEOUT_MS: number;
}

/** Handler failures of one Telegram update before it goes to the dead letters (and the user gets an apology). */
const UPDATE_FAILURES_MAX = 5;
/**
 * Deliveries JetStream allows one update (the most a consumer may have). Outages do not count as
 * failures (update.outcomes.ts) but do use deliveries: at the longest wait this is over 16 hours.
 */
const UPDATE_DELIVERIES_MAX = 1_000;
/** Waits of an update during an outage: 1 s doubling to 60 s. */
const OUTAGE_RETRY_MS = 1_000;
const OUTAGE_RETRY_MAX_MS = 60_000;
/** A chat hears "your request is kept" at most once in this window. */
const DEGRADED_NOTICE_WINDOW_MS = 5 * 60 * 1_000;
/** Redelivery delays of a failed update, as multiples of TELEGRAM_UPDATE_RETRY_DELAY_MS (500 ms: 0.5 s, 2 s, 5 s, 15 s). */
const UPDATE_BACKOFF_FACTORS = [1, 4, 10, 30] as const;
/** Deliveries of one apology before it is itself dead-lettered. */
const APOLOGY_DELIVERIES_MAX = 10;

/**
 * bot-gateway: Telegram ingress (webhook, or long polling in development) into JetStream, and
 * per-chat-ordered workers that run grammY over the stored updates, each update once (ADR 11).
 */
export async function startBotGateway(context: ServiceContext<BotGatewayConfig>): Promise<void> {
  const { config, namespace, logger } = context;
  const webhookSettings = config.TELEGRAM_INGRESS === 'webhook' ? requireWebhookSettings(config) : undefined;
  const database = await context.openDatabase({ tables: gatewaySchema, migrationsFolder: gatewayMigrationsFolder });
  startServiceInboxHousekeeping(context, database);
  const i18n = createI18n();
  const platform = await startGatewayPlatform<BotSession, BotGatewayConfig>(context, database.db);

  const bot = new Bot<BotContext>(config.BOT_TOKEN, { client: { apiRoot: config.TELEGRAM_API_ROOT, timeoutSeconds: 30 } });
  // Telegram's 429 is waited out and the one refused call repeated, inside the handler (ADR 15).
  bot.api.config.use(telegramFloodControl());
  await bot.init();
  const botId = bot.botInfo.id;
  logger.info({ botId, username: bot.botInfo.username }, 'bot initialised');
  // First: the worker's middleware puts each update's inbox transaction on the context.
  const worker = createUpdateWorker({ bot, database, botId });
  bot.use(platform.floodLimit.middleware((ctx) => i18n.t(languageFromTelegram(ctx.from?.language_code), SLOW_DOWN_TEXT_KEY)));
  bot.use(createPingComposer({ i18n }));
  const flags = await watchFlags({ nc: context.nats, namespace, logger: logger.child({ component: 'flags' }) });
  context.onShutdown('flags', () => flags.stop());
  installGatewayBot({
    bot,
    database,
    sessions: platform.sessions,
    callbackSecret: platform.callbackSecret,
    buttonMaxAgeMs: platform.buttonMaxAgeMs,
    logger,
    registry: context.registry,
    deps: {
      namespace,
      ledger: createCommandClient(context.nats, { namespace, timeoutMs: config.SERVICE_CALL_TIMEOUT_MS }),
      chain: createCommandClient(context.nats, { namespace, timeoutMs: config.SERVICE_CALL_TIMEOUT_MS }),
      flags,
      asset: defineAsset(config.WALLET_ASSET, config.WALLET_ASSET_DECIMALS),
      botUsername: bot.botInfo.username,
      rates: platform.rates,
      logger: logger.child({ component: 'flows' }),
    },
  });
  // The command list is cosmetic: Telegram being unreachable at start must not hold the service up.
  setLocalizedCommands(bot.api, (locale, key) => i18n.t(locale, key)).catch((error: unknown) =>
    logger.warn({ err: error }, 'command menus not set; Telegram keeps the previous ones'),
  );
  // The ledger's blacklist, as the gateway's read model: a listed user is refused politely.
  await consumeEventOnce(context, database, userBlacklistChangedV1, { action: 'track-blacklist', description: "Keeps the ledger's blacklist for the bot" }, (tx, event) =>
    setBlacklisted(tx, event.data.userId, event.data.blacklisted),
  );
  const adminCommands = await serveGatewayAdminCommands({ nc: context.nats, namespace, database, logger: logger.child({ component: 'commands' }), registry: context.registry });
  context.onShutdown('admin commands', () => adminCommands.stop(5_000));
  // Updates reach grammY through handleUpdate, which throws to the consumer runner (retry, then
  // dead letter); this handler covers any path through grammY's own loop.
  bot.catch((error) => {
    logger.error({ err: error.error, updateId: error.ctx.update.update_id }, 'update handler failed');
  });

  const retryDelayMs = config.TELEGRAM_UPDATE_RETRY_DELAY_MS;
  const outcomes = createUpdateOutcomes({
    api: bot.api,
    i18n,
    botId,
    logger: logger.child({ component: 'update-outcomes' }),
    failuresMax: UPDATE_FAILURES_MAX,
    outageRetryMs: OUTAGE_RETRY_MS,
    outageRetryMaxMs: OUTAGE_RETRY_MAX_MS,
    degradedNoticeWindowMs: DEGRADED_NOTICE_WINDOW_MS,
  });
  // Each partition holds a connection for the whole of its update; fewer connections make the
  // partitions queue for the pool instead of working in parallel.
  const poolSizeMax = config.DATABASE_POOL_SIZE_MAX ?? 10;
  if (poolSizeMax < config.TELEGRAM_UPDATE_PARTITIONS + 4) {
    logger.warn({ poolSizeMax, partitions: config.TELEGRAM_UPDATE_PARTITIONS }, 'DATABASE_POOL_SIZE_MAX is below TELEGRAM_UPDATE_PARTITIONS + 4: partitions will wait for connections');
  }
  for (let partition = 0; partition < config.TELEGRAM_UPDATE_PARTITIONS; partition += 1) {
    const durable = durableName('bot-gateway', 'handle', `tg-update-p${partition}`);
    await context.consume<Update>({
      spec: {
        stream: streamName(namespace, StreamBases.tgUpdates),
        durable,
        filterSubject: telegramUpdateSubject(namespace, partition),
        maxDeliver: UPDATE_DELIVERIES_MAX,
        backoffMs: UPDATE_BACKOFF_FACTORS.map((factor) => factor * retryDelayMs),
        ackWaitMs: config.TELEGRAM_UPDATE_ACK_WAIT_MS,
        batchSizeMax: 10,
        // One unacknowledged update per partition: a chat's next update waits for the previous one.
        maxAckPending: 1,
        deadLetterSubject: deadLetterSubject(namespace, durable),
        description: `Telegram updates of chat partition ${partition}, in order`,
      },
      decode: decodeStoredUpdate,
      handle: (update, delivery) => outcomes.run(update, delivery.deliveryCount, () => worker.handle(update)),
    });
    const apologyDurable = durableName('bot-gateway', 'apologize', `tg-update-dead-letter-p${partition}`);
    await context.consume<Update>({
      spec: {
        stream: streamName(namespace, StreamBases.deadLetters),
        durable: apologyDurable,
        filterSubject: deadLetterSubject(namespace, durable),
        maxDeliver: APOLOGY_DELIVERIES_MAX,
        backoffMs: UPDATE_BACKOFF_FACTORS.map((factor) => factor * retryDelayMs),
        ackWaitMs: 30_000,
        batchSizeMax: 10,
        maxAckPending: 1,
        deadLetterSubject: deadLetterSubject(namespace, apologyDurable),
        description: `Apologises once to the user of each dead-lettered update of partition ${partition}`,
      },
      decode: decodeStoredUpdate,
      handle: async (update) => {
        const outcome = await apologizeForUpdate({ database, api: bot.api, i18n, botId, logger, update });
        logger.info({ updateId: update.update_id, outcome: outcome.reason }, 'poison update: apology');
      },
    });
  }

  const updates = createUpdateStore({
    js: context.js,
    namespace,
    partitions: config.TELEGRAM_UPDATE_PARTITIONS,
    botId,
    timeoutMs: config.TELEGRAM_WEBHOOK_STORE_TIMEOUT_MS,
  });

  if (webhookSettings !== undefined) {
    const webhook = createWebhookIngress({
      host: config.TELEGRAM_WEBHOOK_HOST,
      port: config.TELEGRAM_WEBHOOK_PORT,
      path: config.TELEGRAM_WEBHOOK_PATH,
      secret: webhookSettings.secret,
      updates,
      // The store's own timeout answers first; this is the backstop.
      storeTimeoutMs: config.TELEGRAM_WEBHOOK_STORE_TIMEOUT_MS + 500,
      logger: logger.child({ component: 'telegram-webhook' }),
      registry: context.registry,
    });
    const address = await webhook.start();
    logger.info({ port: address.port, path: config.TELEGRAM_WEBHOOK_PATH }, 'telegram webhook listening');
    const registration = registerWebhook({
      api: bot.api,
      url: webhookSettings.url,
      secret: webhookSettings.secret,
      maxConnections: config.TELEGRAM_WEBHOOK_MAX_CONNECTIONS,
      logger: logger.child({ component: 'telegram-webhook' }),
    });
    context.readiness.add({
      name: 'telegram-webhook',
      required: true,
      check: async () => ({ up: webhook.listening(), detail: { port: address.port } }),
    });
    // Optional: until Telegram knows the webhook nothing arrives, but the service itself works.
    context.readiness.add({
      name: 'telegram',
      required: false,
      check: async () => {
        const status = registration.status();
        return { up: status.registered, detail: { botId, mode: 'webhook', ...status } };
      },
    });
    context.onShutdown('telegram webhook', async () => {
      await registration.stop();
      await webhook.close();
    });
    return;
  }

  const ingress = createTelegramIngress({ api: bot.api, updates, logger: logger.child({ component: 'telegram-ingress' }) });
  ingress.start();
  // Optional: without Telegram the bot cannot hear anyone, but events from other services are still
  // handled and replies wait in the stream, so the service stays ready.
  context.readiness.add({
    name: 'telegram',
    required: false,
    check: async () => {
      const status = ingress.status();
      return {
        up: status.consecutiveErrors === 0,
        detail: { botId, mode: 'polling', consecutiveErrors: status.consecutiveErrors, lastPollOkAtMs: status.lastPollOkAtMs ?? null },
      };
    },
  });
  context.onShutdown('telegram ingress', () => ingress.stop());
}

/** Webhook mode needs its public URL and secret; their absence is a configuration error, named. */
function requireWebhookSettings(config: BotGatewayConfig): { url: string; secret: string } {
  const missing = [
    config.TELEGRAM_WEBHOOK_URL ? undefined : 'TELEGRAM_WEBHOOK_URL',
    config.TELEGRAM_WEBHOOK_SECRET ? undefined : 'TELEGRAM_WEBHOOK_SECRET (or TELEGRAM_WEBHOOK_SECRET_FILE)',
  ].filter((name) => name !== undefined);
  if (missing.length > 0 || !config.TELEGRAM_WEBHOOK_URL || !config.TELEGRAM_WEBHOOK_SECRET) {
    throw new Error(`TELEGRAM_INGRESS=webhook needs ${missing.join(' and ')}`);
  }
  return { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET };
}
