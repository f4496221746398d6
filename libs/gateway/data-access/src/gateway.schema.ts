import { sql } from 'drizzle-orm';
import { bigint, boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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

/**
 * grammY session (dialog state) entries: the PostgreSQL side of the session storage. Redis holds the
 * live copy; a row here is authoritative while Redis is down. Every write carries a version one
 * higher than the one it replaced, so an older copy never overwrites a newer one in either store.
 */
export const sessionsTable = pgTable(
  'sessions',
  {
    key: text('key').primaryKey(),
    /** The session value; null records a deletion (so an older copy in Redis cannot resurrect it). */
    value: jsonb('value'),
    version: bigint('version', { mode: 'bigint' }).notNull(),
    /** Written while Redis was unreachable: to be moved back into Redis when it returns. */
    needsSync: boolean('needs_sync').notNull().default(false),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('sessions_needs_sync_idx').on(table.updatedAt).where(sql`needs_sync`)],
);

export type SessionRow = typeof sessionsTable.$inferSelect;

/**
 * Button intents that were acted on. Callback data carries an intent id; the first press records it
 * here, so a second press of the same button (a new update id) is answered "already done".
 */
export const buttonIntentsTable = pgTable('button_intents', {
  intentId: text('intent_id').primaryKey(),
  telegramUserId: bigint('telegram_user_id', { mode: 'bigint' }).notNull(),
  /** What the button did, e.g. `withdrawal.confirm`. */
  action: text('action').notNull(),
  /** What the action answered (e.g. the withdrawal id), to show again on a repeated press. */
  outcome: jsonb('outcome'),
  usedAt: timestamp('used_at', { withTimezone: true }).notNull().defaultNow(),
});

export type ButtonIntentRow = typeof buttonIntentsTable.$inferSelect;
