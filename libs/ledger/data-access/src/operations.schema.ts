import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { minorUnits } from './ledger.schema';

// The ledger's business records that sit on top of transfers: chain deposits (credited once each)
// and withdrawals (a state machine whose money lives in holds). The transfers remain the only place
// where money is; these tables say why it moved and what may happen next.

/** Withdrawal states; transitions are declared in libs/ledger/feature (withdrawal state machine). */
export const WithdrawalStates = {
  held: 'held',
  awaitingApproval: 'awaiting_approval',
  approved: 'approved',
  broadcast: 'broadcast',
  completed: 'completed',
  failed: 'failed',
  rejected: 'rejected',
  cancelled: 'cancelled',
} as const;
export type WithdrawalState = (typeof WithdrawalStates)[keyof typeof WithdrawalStates];

/** States whose amount still counts against the user's rolling 24 h limit. */
export const WITHDRAWAL_STATES_COUNTING = [
  WithdrawalStates.held,
  WithdrawalStates.awaitingApproval,
  WithdrawalStates.approved,
  WithdrawalStates.broadcast,
  WithdrawalStates.completed,
] as const;

const WITHDRAWAL_STATES_SQL = sql.raw(
  Object.values(WithdrawalStates)
    .map((state) => `'${state}'`)
    .join(', '),
);

/**
 * One row per withdrawal. The amount and the fee are held by two linked pending transfers
 * (`hold_transfer_id`, `fee_hold_transfer_id`), posted when the chain confirms and voided when the
 * withdrawal is cancelled, rejected or fails.
 */
export const withdrawalsTable = pgTable(
  'withdrawals',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    asset: text('asset').notNull(),
    amount: minorUnits('amount').notNull(),
    fee: minorUnits('fee').notNull(),
    /** EVM address as given (checksummed or not); compared in lower case. */
    toAddress: text('to_address').notNull(),
    state: text('state').$type<WithdrawalState>().notNull(),
    /** Fraud-rule reasons for `awaiting_approval`, or why it was rejected or failed. */
    reason: text('reason'),
    holdTransferId: uuid('hold_transfer_id').notNull(),
    feeHoldTransferId: uuid('fee_hold_transfer_id'),
    /**
     * The chain transaction: the hash of the latest `broadcast` (a fee replacement changes it), then
     * the hash the chain confirmed, or the one that failed. Null until the chain-watcher reports one.
     */
    txHash: text('tx_hash'),
    /** The `attempt` of the broadcast `tx_hash` belongs to; only a higher attempt replaces the hash. */
    broadcastAttempt: integer('broadcast_attempt'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('withdrawals_user_created_idx').on(table.userId, table.createdAt),
    index('withdrawals_user_address_idx').on(table.userId, table.toAddress),
    // The auto-approval job's query: held withdrawals, oldest first.
    index('withdrawals_held_created_idx').on(table.createdAt).where(sql`state = 'held'`),
    check('withdrawals_amount_positive_ck', sql`amount > 0 and fee >= 0`),
    check('withdrawals_state_ck', sql`state in (${WITHDRAWAL_STATES_SQL})`),
    check('withdrawals_broadcast_attempt_ck', sql`broadcast_attempt is null or broadcast_attempt >= 1`),
  ],
);
export type WithdrawalRow = typeof withdrawalsTable.$inferSelect;

export const DepositStates = { credited: 'credited', reverted: 'reverted' } as const;
export type DepositState = (typeof DepositStates)[keyof typeof DepositStates];

/**
 * Chain deposits credited, keyed by where they happened on chain: however often the chain-watcher's
 * event arrives, and whatever its event id, one deposit is credited once.
 */
export const depositsTable = pgTable(
  'deposits',
  {
    chainId: integer('chain_id').notNull(),
    txHash: text('tx_hash').notNull(),
    logIndex: integer('log_index').notNull(),
    userId: uuid('user_id').notNull(),
    asset: text('asset').notNull(),
    amount: minorUnits('amount').notNull(),
    state: text('state').$type<DepositState>().notNull(),
    creditTransferId: uuid('credit_transfer_id').notNull(),
    /** What the user's account covered of a reversal, and what the negative exposure account took. */
    reversedFromUser: minorUnits('reversed_from_user'),
    reversedFromExposure: minorUnits('reversed_from_exposure'),
    creditedAt: timestamp('credited_at', { withTimezone: true }).notNull().defaultNow(),
    revertedAt: timestamp('reverted_at', { withTimezone: true }),
  },
  (table) => [
    primaryKey({ name: 'deposits_pk', columns: [table.chainId, table.txHash, table.logIndex] }),
    index('deposits_user_credited_idx').on(table.userId, table.creditedAt),
  ],
);
export type DepositRow = typeof depositsTable.$inferSelect;
