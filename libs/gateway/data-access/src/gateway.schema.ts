import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
    /** The user whose own code `referralCode` was, resolved at registration. */
    referrerUserId: uuid('referrer_user_id'),
    /** This user's own referral code, for their `t.me/<bot>?start=<code>` link. */
    ownReferralCode: text('own_referral_code'),
    /** SHA-256 (hex) of the user's current one-time recovery code; null once spent. The code itself is never stored. */
    recoveryCodeHash: text('recovery_code_hash'),
    /** Read model of the ledger's blacklist (`ledger.evt.user.blacklist-changed.v1`): a listed user is refused politely. */
    blacklisted: boolean('blacklisted').notNull().default(false),
    /** ISO 4217 code of the currency balances are also shown in. */
    fiatCurrency: text('fiat_currency').notNull().default('USD'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('users_telegram_user_id_uq').on(table.telegramUserId),
    uniqueIndex('users_own_referral_code_uq').on(table.ownReferralCode),
    uniqueIndex('users_recovery_code_hash_uq').on(table.recoveryCodeHash),
  ],
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
    /**
     * Last write, or last time a copy of the row was put into Redis (touchSessionsForCopy): no Redis
     * copy outlives this plus the Redis TTL, which is what lets housekeeping delete idle rows (ADR 17).
     */
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('sessions_needs_sync_idx').on(table.updatedAt).where(sql`needs_sync`),
    // The purge of idle rows (purgeIdleSessions) walks this, oldest first.
    index('sessions_idle_idx').on(table.updatedAt).where(sql`not needs_sync`),
  ],
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
  /** When the button was pressed; after BOT_BUTTON_MAX_AGE_S plus a margin the row is purged (ADR 17). */
  usedAt: timestamp('used_at', { withTimezone: true }).notNull().defaultNow(),
}, (table) => [index('button_intents_used_at_idx').on(table.usedAt)]);

export type ButtonIntentRow = typeof buttonIntentsTable.$inferSelect;


/** Support requests; the lifecycle is `supportRequestMachine` (support.machine.ts). */
export const supportRequestsTable = pgTable(
  'support_requests',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    category: text('category').notNull(),
    description: text('description').notNull(),
    /** How the user wants to be reached besides the bot (free text, optional). */
    contact: text('contact'),
    status: text('status').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('support_requests_user_idx').on(table.userId, table.createdAt),
    check('support_requests_status_ck', sql`status in ('new', 'in_progress', 'resolved', 'closed', 'cancelled')`),
    check('support_requests_category_ck', sql`category in ('deposit', 'withdrawal', 'account', 'other')`),
  ],
);

export type SupportRequestRow = typeof supportRequestsTable.$inferSelect;

/** Account recovery requests: a valid recovery code presented from another Telegram account, waiting for an admin. */
export const recoveryRequestsTable = pgTable(
  'recovery_requests',
  {
    id: uuid('id').primaryKey(),
    /** The user to be moved. */
    userId: uuid('user_id').notNull(),
    newTelegramUserId: bigint('new_telegram_user_id', { mode: 'bigint' }).notNull(),
    newChatId: bigint('new_chat_id', { mode: 'bigint' }).notNull(),
    /** `pending` → `approved` or `rejected`. */
    status: text('status').notNull(),
    adminId: uuid('admin_id'),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (table) => [
    // One open request per user and per asking Telegram account.
    uniqueIndex('recovery_requests_pending_user_uq').on(table.userId).where(sql`status = 'pending'`),
    uniqueIndex('recovery_requests_pending_account_uq').on(table.newTelegramUserId).where(sql`status = 'pending'`),
    check('recovery_requests_status_ck', sql`status in ('pending', 'approved', 'rejected')`),
  ],
);

export type RecoveryRequestRow = typeof recoveryRequestsTable.$inferSelect;
