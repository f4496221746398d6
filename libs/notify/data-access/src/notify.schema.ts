import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// The notifier's own tables (search_path selects `<namespace>_notifier`).
export { inboxTable, outboxTable } from '@strongbox/shared-db';

/** Read model of the people the notifier can reach, built from `bot.evt.user.registered.v1`. */
export const recipientsTable = pgTable('recipients', {
  userId: uuid('user_id').primaryKey(),
  chatId: bigint('chat_id', { mode: 'bigint' }).notNull(),
  /** `en` or `ru`: every message goes out in this language. */
  languageCode: text('language_code').notNull(),
  /** When Telegram answered 403 (the user blocked the bot); cleared when the user writes again (a new registration or language event). */
  blockedAt: timestamp('blocked_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
export type RecipientRow = typeof recipientsTable.$inferSelect;

/**
 * Every notification, from the moment an event asked for it until Telegram took it: the delivery
 * queue and the delivery log in one. The id is derived from the causing event (`<event id>:<template>`,
 * `<broadcast id>:<user id>`, `alert:<dedupe key>:<bucket>`), so a redelivered event inserts nothing new.
 * `sequence` orders a chat's messages; `priority` orders the queue (lower first).
 */
export const notificationsTable = pgTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    sequence: bigserial('sequence', { mode: 'bigint' }).notNull(),
    /** The user it is for; null for the ops chat. */
    userId: uuid('user_id'),
    chatId: bigint('chat_id', { mode: 'bigint' }).notNull(),
    /** 0 ops alerts, 1 money events, 2 other user events, 3 broadcasts. */
    priority: smallint('priority').notNull(),
    template: text('template').notNull(),
    languageCode: text('language_code').notNull(),
    /** The rendered text and its Telegram entities (never Markdown). */
    text: text('text').notNull(),
    entities: jsonb('entities').notNull().default([]),
    /** Id of the event (or broadcast, or alert) that caused it. */
    causationId: text('causation_id').notNull(),
    broadcastId: uuid('broadcast_id'),
    /**
     * `pending` → `sending` (committed before the request leaves) → `delivered`; `blocked` (403: the
     * user blocked the bot), `failed` (Telegram refused it for good), `unconfirmed` (the request may
     * have reached Telegram but no answer came: never sent again, reported to the ops chat).
     */
    state: text('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** Not before this time (retry_after, back-off). */
    notBefore: timestamp('not_before', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    telegramMessageId: integer('telegram_message_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * While `sending`, when the request left; once an outcome is recorded, when that happened (the
     * request had reached Telegram, if at all, by then). The per-chat interval counts from it.
     */
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('notifications_sequence_uq').on(table.sequence),
    index('notifications_queue_idx').on(table.priority, table.sequence).where(sql`state = 'pending'`),
    index('notifications_chat_open_idx').on(table.chatId, table.sequence).where(sql`state in ('pending', 'sending')`),
    index('notifications_broadcast_idx').on(table.broadcastId, table.state),
    // The per-chat rate: when did this chat's last request leave (`sent_at` is set as the row turns `sending`).
    index('notifications_chat_sent_idx').on(table.chatId, table.sentAt),
    check('notifications_state_ck', sql`state in ('pending', 'sending', 'delivered', 'blocked', 'failed', 'unconfirmed')`),
    check('notifications_priority_ck', sql`priority between 0 and 3`),
  ],
);

export type NotificationRow = typeof notificationsTable.$inferSelect;

/** Admin broadcasts: one row each; recipients are enqueued in user-id order from `cursorUserId`, so a crash resumes. */
export const broadcastsTable = pgTable('broadcasts', {
  id: uuid('id').primaryKey(),
  adminId: uuid('admin_id').notNull(),
  idempotencyKey: text('idempotency_key').notNull().unique(),
  /** The message per language: `{ "en": "…", "ru": "…" }`. */
  texts: jsonb('texts').notNull(),
  /** `enqueuing` → `sending` → `completed`. */
  state: text('state').notNull(),
  recipientsTotal: integer('recipients_total').notNull().default(0),
  enqueued: integer('enqueued').notNull().default(0),
  cursorUserId: uuid('cursor_user_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp('completed_at', { withTimezone: true }),
});

export type BroadcastRow = typeof broadcastsTable.$inferSelect;

/** Operations a user is waiting on (deposits seen but unconfirmed, withdrawals in flight): who hears about node outages. */
export const pendingOperationsTable = pgTable(
  'pending_operations',
  {
    userId: uuid('user_id').notNull(),
    /** `deposit:<chainId>:<txHash>:<logIndex>` or `withdrawal:<id>`. */
    operationKey: text('operation_key').notNull(),
    since: timestamp('since', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.operationKey] })],
);

/** Ops alerts sent, by de-duplication key: the same alert within the window is counted, not sent again. */
export const opsAlertsTable = pgTable('ops_alerts', {
  dedupeKey: text('dedupe_key').primaryKey(),
  lastSentAt: timestamp('last_sent_at', { withTimezone: true }).notNull(),
  suppressed: integer('suppressed').notNull().default(0),
});

/**
 * Per chain, the last `chain.evt.node.status-changed.v1` applied to the notices below: an event whose
 * `changedAt` is not later is ignored (a late redelivery or a re-published copy; see user.consumers.ts).
 */
export const nodeStatusesTable = pgTable(
  'node_statuses',
  {
    chainId: integer('chain_id').primaryKey(),
    /** `up` or `down`, as the last applied event said. */
    status: text('status').notNull(),
    /** `changedAt` of that event (the chain-watcher's clock). */
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull(),
    appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
  },
  () => [check('node_statuses_status_ck', sql`status in ('up', 'down')`)],
);

/**
 * What each user was last told about a chain's node: `down` until they are told it is back (`up`).
 * A row exists once the user was told `down`. `last_down_at` is the `changedAt` of that down event:
 * a new down is told only from `up` and once the quiet period has passed since it.
 */
export const nodeStatusNoticesTable = pgTable(
  'node_status_notices',
  {
    userId: uuid('user_id').notNull(),
    chainId: integer('chain_id').notNull(),
    told: text('told').notNull(),
    lastDownAt: timestamp('last_down_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.chainId] }),
    // The users an `up` is for: those told `down` about the chain.
    index('node_status_notices_told_down_idx').on(table.chainId).where(sql`told = 'down'`),
    check('node_status_notices_told_ck', sql`told in ('up', 'down')`),
  ],
);
