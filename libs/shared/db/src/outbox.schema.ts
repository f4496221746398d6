import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { CloudEvent } from '@strongbox/shared-contracts';

// The transactional outbox. Every service re-exports this table from its own schema file, so
// drizzle-kit generates it into that service's migrations and it lives in the service's schema.
// drizzle cannot emit column comments, so the business rules are written here in TSDoc.

/**
 * Events waiting to be published, written in the same transaction as the state change they
 * announce. The relay publishes unpublished rows in `seq` order and sets `published_at`; a crash
 * between publishing and marking publishes the row again with the same event id, which the bus
 * de-duplicates (`Nats-Msg-Id`). Rows are never updated by services, only by the relay.
 */
export const outboxTable = pgTable(
  'outbox',
  {
    /** Publish order: the relay publishes strictly by ascending `seq` and stops at the first failure. */
    seq: bigserial('seq', { mode: 'bigint' }).primaryKey(),
    /** The CloudEvent id (UUIDv7); unique, so the same event can never be enqueued twice. */
    eventId: text('event_id').notNull(),
    /** Full NATS subject including the namespace: `sb.ledger.evt.account.opened.v1`. */
    subject: text('subject').notNull(),
    /** The whole CloudEvent as published, envelope and data. */
    event: jsonb('event').$type<CloudEvent>().notNull(),
    /** Message headers to publish with the event (`traceparent`, causation id); string values only. */
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** When the bus acknowledged the event; null while pending. Published rows are purged later. */
    publishedAt: timestamp('published_at', { withTimezone: true }),
    /** Failed publish attempts so far; only grows, reset never (it is a diagnostic, not a limit). */
    attempts: integer('attempts').notNull().default(0),
    /** The last publish failure's message, truncated; null until a publish has failed. */
    lastError: text('last_error'),
  },
  (table) => [
    uniqueIndex('outbox_event_id_uq').on(table.eventId),
    // The relay's only query: the oldest unpublished rows. Kept small by the predicate.
    index('outbox_unpublished_seq_idx').on(table.seq).where(sql`published_at is null`),
    // Purging old published rows without scanning the pending ones.
    index('outbox_published_at_idx').on(table.publishedAt).where(sql`published_at is not null`),
  ],
);

/** One outbox row as read. */
export type OutboxRow = typeof outboxTable.$inferSelect;
