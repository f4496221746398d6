import type { Database } from '@strongbox/shared-db';
import { createI18n } from '@strongbox/shared-i18n';
import { serveCommands } from '@strongbox/shared-messaging';
import type { notifySchema } from '@strongbox/notify-data-access';
import { raiseAlert, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { parseAssetDecimals } from './assets';
import { createBroadcasts } from './broadcasts';
import { createOpsAlerts, startOpsAlertConsumers } from './ops-alerts';
import type { NotifierContentConfig } from './content.config';
import { startMoneyConsumers } from './money.consumers';
import { startReadModelConsumers } from './read-model.consumers';
import { createTexts } from './texts';
import { watchUnconfirmed } from './unconfirmed.watch';
import { startUserConsumers } from './user.consumers';

/** How often the broadcast loop looks for work nobody woke it for. */
const BROADCAST_POLL_INTERVAL_MS = 1_000;
/** How often the queue is checked for notifications the delivery worker marked unconfirmed. */
const UNCONFIRMED_CHECK_INTERVAL_MS = 5_000;

/**
 * Everything that decides which notifications exist and what they say: the recipients read model,
 * and one consumer per kind of event that enqueues its notifications in the event's inbox
 * transaction; and admin broadcasts (`notify.cmd.broadcast.v1`). Sending is the delivery worker's job.
 */
export async function startNotifierContent<TConfig extends RuntimeConfig & NotifierContentConfig>(
  context: ServiceContext<TConfig>,
  database: Database<typeof notifySchema>,
): Promise<void> {
  const { config, namespace, logger, registry } = context;
  const assets = parseAssetDecimals(config.NOTIFY_ASSET_DECIMALS);
  const texts = createTexts(createI18n(), assets);
  const opsAlerts = createOpsAlerts({
    texts,
    logger: logger.child({ component: 'ops-alerts' }),
    registry,
    options: {
      chatId: config.NOTIFY_OPS_CHAT_ID === undefined ? undefined : BigInt(config.NOTIFY_OPS_CHAT_ID),
      dedupeWindowMs: config.NOTIFY_ALERT_DEDUPE_MS,
      perMinuteMax: config.NOTIFY_ALERTS_PER_MINUTE_MAX,
    },
  });
  await startOpsAlertConsumers(context, database, opsAlerts, assets);
  await startReadModelConsumers(context, database, texts);
  await startUserConsumers(context, database, texts, { nodeStatusQuietMs: config.NOTIFY_NODE_STATUS_QUIET_MS });
  await startMoneyConsumers(context, database, texts);

  const onRepeatedFailures = ({ name, consecutiveErrors, error }: { name: string; consecutiveErrors: number; error: unknown }) =>
    void raiseAlert(context, {
      context: 'notify',
      service: 'notifier',
      code: 'LOOP_FAILING',
      severity: 'critical',
      dedupeKey: `loop:notifier:${name}`,
      summary: `background loop ${name} failed ${consecutiveErrors} times in a row`,
      details: { loop: name, consecutiveErrors: String(consecutiveErrors), error: (error instanceof Error ? error.message : String(error)).slice(0, 256) },
    });
  const broadcasts = createBroadcasts({
    onRepeatedFailures,
    database,
    namespace,
    logger: logger.child({ component: 'broadcasts' }),
    registry,
    options: { chunkSize: config.NOTIFY_BROADCAST_CHUNK_SIZE, chunkPauseMs: config.NOTIFY_BROADCAST_CHUNK_PAUSE_MS, pollIntervalMs: BROADCAST_POLL_INTERVAL_MS },
  });
  const loop = broadcasts.start();
  const unconfirmed = watchUnconfirmed({ database, alerts: context, logger: logger.child({ component: 'unconfirmed-watch' }), registry, intervalMs: UNCONFIRMED_CHECK_INTERVAL_MS, onRepeatedFailures });
  const commands = await serveCommands({ nc: context.nats, namespace, queue: 'notifier', routes: [broadcasts.route], logger: logger.child({ component: 'commands' }), registry });
  // Registered in this order, run in reverse: stop taking commands, then stop the loop mid-way (the cursor keeps its place).
  context.onShutdown('broadcast loop', () => loop.stop(config.SHUTDOWN_TIMEOUT_MS / 4));
  context.onShutdown('unconfirmed watch', () => unconfirmed.stop(config.SHUTDOWN_TIMEOUT_MS / 4));
  context.onShutdown('commands', () => commands.stop(config.SHUTDOWN_TIMEOUT_MS / 4));
}
