import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { processOnce, type DatabaseHandle } from '@strongbox/shared-db';
import { updateMessageId } from './update.store';
import { updateTransactionMiddleware, type GatewayContext, type UpdateTransactions } from './update.context';

// ---------------------------------------------------------------------------------------------
// The worker side: each stored update is handled once. One read-committed transaction records
// `tg:<bot id>:<update id>` in the inbox and, only when that row is new, runs grammY over the
// update with the transaction on the context; the JetStream ack follows the commit.
//
// Effects in PostgreSQL are exactly-once. Telegram calls the handler makes are at-least-once: a
// crash (or a failed commit) after a reply and before the commit replays the update, and the reply
// goes out again. The window is the handler's time from its first Telegram call to the commit;
// handlers keep it short by doing their database work first and replying last (ADR 11).
// ---------------------------------------------------------------------------------------------

/** The inbox `consumer` of Telegram updates: one for every partition, so a re-partitioned stream stays de-duplicated. */
export const UPDATE_INBOX_CONSUMER = 'bot-gateway-handle-on-tg-update';

export interface UpdateWorker {
  /** Handles one stored update; resolves after the commit (`duplicate` when it was handled before). */
  handle(update: Update): Promise<{ duplicate: boolean }>;
}

/**
 * Installs the transaction middleware as the bot's FIRST middleware (call it before `bot.use` of
 * any composer) and returns the handler the ingress consumers run.
 *
 * @example
 * const bot = new Bot<GatewayContext>(token, { client: { apiRoot } });
 * const worker = createUpdateWorker({ bot, database, botId });
 * bot.use(createPingComposer());
 * await context.consume({ spec, decode, handle: (update) => worker.handle(update) });
 */
export function createUpdateWorker<C extends GatewayContext>(options: { bot: Bot<C>; database: DatabaseHandle; botId: number }): UpdateWorker {
  const { bot, database, botId } = options;
  const transactions: UpdateTransactions = new Map();
  bot.use(updateTransactionMiddleware(transactions));
  return {
    async handle(update) {
      const updateKey = updateMessageId(botId, update);
      const outcome = await processOnce(database, { consumer: UPDATE_INBOX_CONSUMER, eventId: updateKey, isolationLevel: 'read committed' }, async (tx) => {
        // Update ids are unique per bot, and a partition handles one update at a time, so two
        // entries never share a key; the inbox row serialises even a concurrent duplicate.
        transactions.set(update.update_id, { tx, updateKey });
        try {
          await bot.handleUpdate(update);
        } finally {
          transactions.delete(update.update_id);
        }
      });
      return { duplicate: outcome.duplicate };
    },
  };
}
