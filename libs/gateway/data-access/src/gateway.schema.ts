import { bigint, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// The bot-gateway's own tables. Tables carry no PostgreSQL schema: the connection's search_path
// selects `<namespace>_bot_gateway`, so one set of migrations serves every namespace.
export { inboxTable, outboxTable } from '@strongbox/shared-db';

/** People who started the bot. One row per Telegram user; the id is what every other service knows. */
export const usersTable = pgTable(
  'users',
  {
    /** Strongbox user id (UUIDv7); published in `bot.evt.user.registered.v1`. */
    id: uuid('id').primaryKey(),
    /** Telegram's user id; unique, so a repeated /start never registers twice. */
    telegramUserId: bigint('telegram_user_id', { mode: 'bigint' }).notNull(),
    /** The private chat the bot talks to the user in. */
    chatId: bigint('chat_id', { mode: 'bigint' }).notNull(),
    /** `en` or `ru`; taken from Telegram's language at registration, changeable later. */
    languageCode: text('language_code').notNull(),
    /** Referral code from the /start deep link, if any. */
    referralCode: text('referral_code'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('users_telegram_user_id_uq').on(table.telegramUserId)],
);

export type UserRow = typeof usersTable.$inferSelect;
