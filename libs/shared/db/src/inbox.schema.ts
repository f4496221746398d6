import { index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

// The inbox: which consumer has already handled which event. Every service re-exports this table
// from its own schema file, so drizzle-kit generates it into that service's migrations.

/**
 * One row per event a durable consumer has handled, inserted in the same transaction as the
 * handler's effects. A redelivered event finds its row and is a no-op. Rows older than the bus's
 * longest redelivery window may be purged (`purgeInbox`); a purge that is too eager re-opens the
 * door to a duplicate effect.
 */
export const inboxTable = pgTable(
  'inbox',
  {
    /** The durable consumer's name (`ledger-open-account-on-user-registered`). */
    consumer: text('consumer').notNull(),
    /** The CloudEvent id of the handled event. */
    eventId: text('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'inbox_pk', columns: [table.consumer, table.eventId] }),
    index('inbox_processed_at_idx').on(table.processedAt),
  ],
);

/** One inbox row as read. */
export type InboxRow = typeof inboxTable.$inferSelect;
