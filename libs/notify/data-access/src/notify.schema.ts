import { bigint, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// The notifier's own tables (search_path selects `<namespace>_notifier`).
export { inboxTable, outboxTable } from '@strongbox/shared-db';

/** Read model of the people the notifier can reach, built from `bot.evt.user.registered.v1`. */
export const recipientsTable = pgTable('recipients', {
  userId: uuid('user_id').primaryKey(),
  chatId: bigint('chat_id', { mode: 'bigint' }).notNull(),
  /** `en` or `ru`: every message goes out in this language. */
  languageCode: text('language_code').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Every message sent. Unique per (causing event, template): one event never sends one message twice. */
export const deliveriesTable = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    template: text('template').notNull(),
    /** Id of the event that caused the message. */
    causationId: text('causation_id').notNull(),
    telegramMessageId: integer('telegram_message_id').notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('deliveries_causation_template_uq').on(table.causationId, table.template)],
);

export type RecipientRow = typeof recipientsTable.$inferSelect;
