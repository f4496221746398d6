import { Api, GrammyError } from 'grammy';
import { accountOpenedV1, durableName, eventSubject, StreamBases, userRegisteredV1 } from '@strongbox/shared-contracts';
import { processOnce } from '@strongbox/shared-db';
import { consumeEventOnce, eventConsumerSpec, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { findRecipient, notifyMigrationsFolder, notifySchema, recordDelivery, upsertRecipient } from '@strongbox/notify-data-access';
import { render } from './templates';

export interface NotifierConfig extends RuntimeConfig {
  readonly BOT_TOKEN: string;
  readonly TELEGRAM_API_ROOT: string;
}

/** How long to wait when an account event overtakes the registration that names the chat. */
const RECIPIENT_UNKNOWN_RETRY_MS = 2_000;
const TELEGRAM_TIMEOUT_S = 15;

/**
 * notifier: keeps the recipients read model and sends the welcome once the ledger has opened the
 * user's accounts.
 *
 * The Telegram call happens inside the inbox transaction: a failed send rolls back and is retried;
 * the one window for a duplicate is a commit that fails after Telegram accepted the message.
 */
export async function startNotifier(context: ServiceContext<NotifierConfig>): Promise<void> {
  const { config, namespace, logger } = context;
  const database = await context.openDatabase({ tables: notifySchema, migrationsFolder: notifyMigrationsFolder });
  const api = new Api(config.BOT_TOKEN, { apiRoot: config.TELEGRAM_API_ROOT, timeoutSeconds: TELEGRAM_TIMEOUT_S });

  await consumeEventOnce(context, database, userRegisteredV1, { action: 'track-recipient', description: 'Keeps chat id and language of every user' }, (tx, event) =>
    upsertRecipient(tx, { userId: event.data.userId, chatId: BigInt(event.data.chatId), languageCode: event.data.languageCode }),
  );

  const welcomeDurable = durableName('notifier', 'welcome', 'account-opened');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.ledger,
      durable: welcomeDurable,
      filterSubject: eventSubject(namespace, accountOpenedV1.type),
      description: 'Welcomes a user whose accounts the ledger opened',
    }),
    decode: (raw) => accountOpenedV1.parse(raw),
    handle: async (event) => {
      const recipient = await findRecipient(database.db, event.data.userId);
      if (!recipient) {
        logger.info({ userId: event.data.userId }, 'recipient not known yet; retrying later');
        return { retryAfterMs: RECIPIENT_UNKNOWN_RETRY_MS };
      }
      try {
        await processOnce(database, { consumer: welcomeDurable, eventId: event.id, isolationLevel: 'read committed' }, async (tx) => {
          const message = await api.sendMessage(Number(recipient.chatId), render('welcome', recipient.languageCode));
          await recordDelivery(tx, { namespace, recipient, template: 'welcome', causationId: event.id, telegramMessageId: message.message_id });
        });
      } catch (error) {
        // Telegram's flood control names the wait; honour it instead of the generic back-off.
        if (error instanceof GrammyError && error.error_code === 429 && error.parameters.retry_after !== undefined) {
          return { retryAfterMs: error.parameters.retry_after * 1_000 };
        }
        throw error;
      }
      return undefined;
    },
  });
}
