import { bigserial, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

// admin-audit's own tables (search_path selects `<namespace>_admin_audit`).
export { inboxTable, outboxTable } from '@strongbox/shared-db';

/**
 * Append-only audit log of every event on the bus. Each row's `hash` is
 * SHA-256(previous row's hash + the row's canonical content), so changing or removing a row breaks
 * every hash after it.
 */
export const auditLogTable = pgTable(
  'audit_log',
  {
    seq: bigserial('seq', { mode: 'bigint' }).primaryKey(),
    /** CloudEvent id; unique, so an event is recorded once. */
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    source: text('source').notNull(),
    subject: text('subject'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
    payload: jsonb('payload').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [uniqueIndex('audit_log_event_id_uq').on(table.eventId)],
);

export type AuditLogRow = typeof auditLogTable.$inferSelect;
