import { bigint, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

// chain-watcher's own tables (search_path selects `<namespace>_chain_watcher`).
export { inboxTable, outboxTable } from '@strongbox/shared-db';
export * from './deposits.schema';

/** Last known state of each chain's node, so a restart does not re-announce an unchanged status. */
export const nodeStatusTable = pgTable('node_status', {
  chainId: integer('chain_id').primaryKey(),
  /** `up` or `down`. */
  status: text('status').$type<'up' | 'down'>().notNull(),
  headBlock: bigint('head_block', { mode: 'number' }),
  changedAt: timestamp('changed_at', { withTimezone: true }).notNull(),
});

export { chainWithdrawalAttemptsTable, chainWithdrawalOutcomesTable, chainWithdrawalsTable, hotWalletNoncesTable } from './withdrawals.schema';
