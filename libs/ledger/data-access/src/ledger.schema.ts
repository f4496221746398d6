import { pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// The ledger's own tables (search_path selects `<namespace>_ledger`).
export { inboxTable, outboxTable } from '@strongbox/shared-db';

/** Account kinds. A user has one `user_available` account per asset. */
export const AccountKinds = { userAvailable: 'user_available' } as const;
export type AccountKind = (typeof AccountKinds)[keyof typeof AccountKinds];

/** Ledger accounts. Opened once per (user, asset, kind); never deleted. */
export const accountsTable = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    /** Owner: the user id from `bot.evt.user.registered.v1`. */
    userId: uuid('user_id').notNull(),
    /** Asset code, e.g. `USDT`; amounts on this account are in its minor units. */
    asset: text('asset').notNull(),
    kind: text('kind').$type<AccountKind>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('accounts_user_asset_kind_uq').on(table.userId, table.asset, table.kind)],
);

export type AccountRow = typeof accountsTable.$inferSelect;
