import { index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

// Idempotency keys: what a command with a caller-supplied key returned the first time. Every service
// that takes commands re-exports this table from its own schema file, so drizzle-kit generates it
// into that service's migrations.

/** `completed`: the stored response is the answer to every retry with the same key and body. */
export const IdempotencyStates = { completed: 'completed' } as const;
export type IdempotencyState = (typeof IdempotencyStates)[keyof typeof IdempotencyStates];

/**
 * One row per (command scope, caller key), inserted in the same transaction as the command's
 * effects, so the key exists exactly when the effects do. A concurrent request with the same key
 * waits on the row's unique index until the first commits (then replays its response) or rolls back
 * (then executes itself). Rows are kept at least 24 h (`purgeIdempotencyKeys`).
 */
export const idempotencyKeysTable = pgTable(
  'idempotency_keys',
  {
    /** The command the key belongs to (`ledger.transfer`): one key may be reused across commands. */
    scope: text('scope').notNull(),
    /** The caller's key. */
    key: text('key').notNull(),
    /** SHA-256 (hex) of the canonical JSON of the request body: a retry with another body is a conflict. */
    requestHash: text('request_hash').notNull(),
    state: text('state').$type<IdempotencyState>().notNull(),
    /** The response as first returned, failures included (a failure stays a failure). */
    response: jsonb('response').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'idempotency_keys_pk', columns: [table.scope, table.key] }),
    index('idempotency_keys_created_at_idx').on(table.createdAt),
  ],
);

/** One idempotency row as read. */
export type IdempotencyKeyRow = typeof idempotencyKeysTable.$inferSelect;
