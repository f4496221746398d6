import { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { durableName, streamName, telegramUpdateSubject, deadLetterSubject, StreamBases } from '@strongbox/shared-contracts';
import type { ServiceContext, RuntimeConfig } from '@strongbox/shared-runtime';
import { gatewayMigrationsFolder, gatewaySchema } from '@strongbox/gateway-data-access';
import { createStartComposer } from './start.composer';
import { createTelegramIngress } from './telegram-ingress';

export interface BotGatewayConfig extends RuntimeConfig {
  readonly BOT_TOKEN: string;
  readonly TELEGRAM_API_ROOT: string;
  readonly TELEGRAM_UPDATE_PARTITIONS: number;
}

/** Redeliveries of one Telegram update before it goes to the dead letters. */
const UPDATE_DELIVERIES_MAX = 5;

/** Decodes a stored Telegram update; anything without a numeric update_id is malformed. */
function decodeUpdate(raw: unknown): Update {
  if (typeof raw !== 'object' || raw === null || typeof (raw as { update_id?: unknown }).update_id !== 'number') {
    throw new Error('not a Telegram update: update_id missing');
  }
  return raw as Update;
}

/**
 * bot-gateway: Telegram ingress (long polling into JetStream) and per-chat-ordered workers that run
 * grammY over the stored updates.
 */
export async function startBotGateway(context: ServiceContext<BotGatewayConfig>): Promise<void> {
  const { config, namespace, logger } = context;
  const database = await context.openDatabase({ tables: gatewaySchema, migrationsFolder: gatewayMigrationsFolder });

  const bot = new Bot(config.BOT_TOKEN, { client: { apiRoot: config.TELEGRAM_API_ROOT, timeoutSeconds: 30 } });
  bot.use(createStartComposer({ database, namespace }));
  // Updates reach grammY through handleUpdate, which throws to the consumer runner (retry, then
  // dead letter); this handler covers any path through grammY's own loop.
  bot.catch((error) => {
    logger.error({ err: error.error, updateId: error.ctx.update.update_id }, 'update handler failed');
  });
  await bot.init();
  logger.info({ botId: bot.botInfo.id, username: bot.botInfo.username }, 'bot initialised');

  for (let partition = 0; partition < config.TELEGRAM_UPDATE_PARTITIONS; partition += 1) {
    const durable = durableName('bot-gateway', 'handle', `tg-update-p${partition}`);
    await context.consume<Update>({
      spec: {
        stream: streamName(namespace, StreamBases.tgUpdates),
        durable,
        filterSubject: telegramUpdateSubject(namespace, partition),
        maxDeliver: UPDATE_DELIVERIES_MAX,
        backoffMs: [500, 2_000, 5_000, 15_000],
        ackWaitMs: 30_000,
        batchSizeMax: 10,
        maxAckPending: 1,
        deadLetterSubject: deadLetterSubject(namespace, durable),
        description: `Telegram updates of chat partition ${partition}, in order`,
      },
      decode: decodeUpdate,
      handle: async (update) => {
        await bot.handleUpdate(update);
      },
    });
  }

  const ingress = createTelegramIngress({
    api: bot.api,
    js: context.js,
    namespace,
    partitions: config.TELEGRAM_UPDATE_PARTITIONS,
    botId: bot.botInfo.id,
    logger: logger.child({ component: 'telegram-ingress' }),
  });
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
        detail: { botId: bot.botInfo.id, consecutiveErrors: status.consecutiveErrors, lastPollOkAtMs: status.lastPollOkAtMs ?? null },
      };
    },
  });
  context.onShutdown('telegram ingress', () => ingress.stop());
}
