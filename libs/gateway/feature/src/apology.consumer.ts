import { eq } from 'drizzle-orm';
import { GrammyError, type Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { I18n } from '@grammyjs/i18n';
import type { LanguageCode } from '@strongbox/shared-contracts';
import { processOnce, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import { usersTable } from '@strongbox/gateway-data-access';
import type { Logger } from 'pino';
import { languageFromTelegram } from './flows/user.middleware';
import { chatIdOfUpdate, updateMessageId } from './update.store';

// ---------------------------------------------------------------------------------------------
// Poison updates: once the runner has given up on an update and stored it as a dead letter, the
// user hears a polite apology — once. The apology consumer reads the dead letters of the ingress
// consumers, so every way an update can die (handler failing on each delivery, a crash loop past
// maxDeliver) ends with the same apology, and it runs apart from the handler that failed.
// ---------------------------------------------------------------------------------------------

/** The inbox `consumer` of apologies: one per update, whichever partition it died in. */
export const APOLOGY_INBOX_CONSUMER = 'bot-gateway-apologize-on-tg-update-dead-letter';

/** Fluent key of the apology (libs/shared/i18n/src/locales/<locale>/gateway-system.ftl). */
export const APOLOGY_TEXT_KEY = 'gateway-system-apology';

export interface ApologyOutcome {
  readonly sent: boolean;
  readonly reason: 'sent' | 'already-sent' | 'no-chat' | 'chat-refused';
}

/**
 * Sends the apology for one dead-lettered update at most once per successful commit: the inbox
 * row (`tg:<bot id>:<update id>` under APOLOGY_INBOX_CONSUMER) and the send share a transaction, so
 * only a crash between the send and the commit can repeat it. A chat Telegram refuses (blocked,
 * gone) is recorded as done: retrying cannot reach it.
 */
export async function apologizeForUpdate(deps: {
  database: DatabaseHandle;
  api: Pick<Api, 'sendMessage'>;
  i18n: I18n;
  botId: number;
  logger: Logger;
  update: Update;
}): Promise<ApologyOutcome> {
  const { update } = deps;
  const chatId = chatIdOfUpdate(update);
  if (chatId === undefined) return { sent: false, reason: 'no-chat' };
  const outcome = await processOnce(
    deps.database,
    { consumer: APOLOGY_INBOX_CONSUMER, eventId: updateMessageId(deps.botId, update), isolationLevel: 'read committed' },
    async (tx): Promise<ApologyOutcome> => {
      const language = await languageOfUpdate(tx, update);
      try {
        await deps.api.sendMessage(chatId, deps.i18n.t(language, APOLOGY_TEXT_KEY));
        return { sent: true, reason: 'sent' };
      } catch (error) {
        if (error instanceof GrammyError && (error.error_code === 400 || error.error_code === 403)) {
          deps.logger.warn({ updateId: update.update_id, errorCode: error.error_code, description: error.description }, 'apology refused by Telegram');
          return { sent: false, reason: 'chat-refused' };
        }
        throw error;
      }
    },
  );
  return outcome.duplicate ? { sent: false, reason: 'already-sent' } : outcome.result;
}

/** The user's language: the stored choice when the user is registered, else Telegram's language of the sender. */
async function languageOfUpdate(tx: DbExecutor, update: Update): Promise<LanguageCode> {
  const from = senderOf(update);
  if (from === undefined) return languageFromTelegram(undefined);
  const rows = await tx
    .select({ languageCode: usersTable.languageCode })
    .from(usersTable)
    .where(eq(usersTable.telegramUserId, BigInt(from.id)))
    .limit(1);
  const stored = rows[0]?.languageCode;
  return stored === 'en' || stored === 'ru' ? stored : languageFromTelegram(from.language_code);
}

function senderOf(update: Update): { id: number; language_code?: string } | undefined {
  return update.message?.from ?? update.edited_message?.from ?? update.callback_query?.from ?? update.inline_query?.from ?? update.my_chat_member?.from;
}
