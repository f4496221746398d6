import { sql } from 'drizzle-orm';
import { bigint, check, customType, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// ---------------------------------------------------------------------------------------------
// chain-watcher: withdrawals. What the ledger approved is signed, stored and only then broadcast
// (see docs/adr/0008-persist-before-broadcast-and-database-nonces.md). Re-exported by
// chain.schema.ts, so the migrator and drizzle-kit see these tables. No foreign keys: drizzle-kit
// writes them as `"public"."<table>"`, while each service's tables live in the schema its
// search_path selects; rows of an attempt or outcome are only ever written beside their withdrawal.
// ---------------------------------------------------------------------------------------------

const UNSIGNED_INTEGER_TEXT_PATTERN = /^(0|[1-9][0-9]*)$/;

/**
 * A non-negative whole number too large for a double (token amounts, wei): `numeric(78,0)` in SQL
 * (a uint256 has at most 78 digits), `bigint` in TypeScript, passed as text both ways.
 */
export const uint256Column = customType<{ data: bigint; driverData: string }>({
  dataType() {
    return 'numeric(78, 0)';
  },
  toDriver(value: bigint): string {
    if (typeof value !== 'bigint' || value < 0n) throw new TypeError(`expected a non-negative bigint, got ${String(value)}`);
    return value.toString();
  },
  fromDriver(value: string): bigint {
    const text = String(value);
    if (!UNSIGNED_INTEGER_TEXT_PATTERN.test(text)) throw new TypeError(`not a non-negative integer: ${JSON.stringify(text)}`);
    return BigInt(text);
  },
});

/** Lifecycle of a withdrawal in the watcher; transitions are declared in `withdrawals.state.ts`. */
export const ChainWithdrawalStates = {
  /** Signed and stored with its nonce; not yet accepted by the node. */
  signed: 'signed',
  /** At least one attempt was accepted by the node. */
  broadcast: 'broadcast',
  /** An attempt succeeded with the required confirmations. Final. */
  confirmed: 'confirmed',
  /** Reverted, dropped or rejected. Final. */
  failed: 'failed',
} as const;
export type ChainWithdrawalState = (typeof ChainWithdrawalStates)[keyof typeof ChainWithdrawalStates];

/** Why a withdrawal failed; the values of `chainWithdrawalFailedV1.reason`. */
export const ChainWithdrawalFailureReasons = { reverted: 'reverted', dropped: 'dropped', rejected: 'rejected' } as const;
export type ChainWithdrawalFailureReason = (typeof ChainWithdrawalFailureReasons)[keyof typeof ChainWithdrawalFailureReasons];

const STATES_SQL = sql.raw(
  Object.values(ChainWithdrawalStates)
    .map((state) => `'${state}'`)
    .join(', '),
);
const REASONS_SQL = sql.raw(
  Object.values(ChainWithdrawalFailureReasons)
    .map((reason) => `'${reason}'`)
    .join(', '),
);

/**
 * One row per approved withdrawal (key: the ledger's withdrawal id). A withdrawal that could not be
 * built or signed has no nonce and no attempt (`failed`/`rejected`). Every other row holds a nonce of
 * the hot wallet that no other withdrawal holds (unique index), allocated from `hot_wallet_nonces`.
 */
export const chainWithdrawalsTable = pgTable(
  'withdrawals',
  {
    withdrawalId: uuid('withdrawal_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    chainId: integer('chain_id').notNull(),
    asset: text('asset').notNull(),
    /** Token base units (the ledger's minor units: the configured decimals equal the token's). */
    amount: uint256Column('amount').notNull(),
    /** As the ledger sent it; checksummed only when it parsed. */
    toAddress: text('to_address').notNull(),
    /** Null when the asset is unknown (rejected). */
    tokenContract: text('token_contract'),
    /** The hot wallet's address (lower case). */
    fromAddress: text('from_address').notNull(),
    /** Null only for rejected withdrawals: nothing was signed. */
    nonce: bigint('nonce', { mode: 'number' }),
    state: text('state').$type<ChainWithdrawalState>().notNull(),
    failureReason: text('failure_reason').$type<ChainWithdrawalFailureReason>(),
    failureDetail: text('failure_detail'),
    /** The attempt that landed (confirmed or reverted). */
    finalTxHash: text('final_tx_hash'),
    blockNumber: bigint('block_number', { mode: 'number' }),
    blockHash: text('block_hash'),
    /** The `withdrawal approved` event this row came from. */
    approvedEventId: text('approved_event_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('withdrawals_wallet_nonce_uq').on(table.chainId, table.fromAddress, table.nonce).where(sql`nonce is not null`),
    index('withdrawals_open_idx').on(table.state, table.nonce).where(sql`state in ('signed', 'broadcast')`),
    check('withdrawals_state_ck', sql`state in (${STATES_SQL})`),
    check('withdrawals_failure_reason_ck', sql`failure_reason is null or failure_reason in (${REASONS_SQL})`),
    // A signed or sent withdrawal always has a nonce; only a rejected one may lack it.
    check('withdrawals_nonce_ck', sql`nonce is not null or failure_reason = 'rejected'`),
    check('withdrawals_failed_reason_ck', sql`(state = 'failed') = (failure_reason is not null)`),
  ],
);
export type ChainWithdrawalRow = typeof chainWithdrawalsTable.$inferSelect;

/**
 * Every signed transaction of a withdrawal, stored before it is sent: attempt 1, then one more per
 * fee replacement, all under the withdrawal's nonce. `broadcast_at` is set once the node accepted it
 * (the `broadcast` event is enqueued in the same statement's transaction, once per attempt).
 */
export const chainWithdrawalAttemptsTable = pgTable(
  'withdrawal_attempts',
  {
    withdrawalId: uuid('withdrawal_id').notNull(),
    attempt: integer('attempt').notNull(),
    /** Lower-case 0x hash of `raw_transaction`. */
    txHash: text('tx_hash').notNull(),
    /** The signed EIP-1559 transaction, 0x hex; re-sent as is after a restart. */
    rawTransaction: text('raw_transaction').notNull(),
    maxFeePerGasWei: uint256Column('max_fee_per_gas_wei').notNull(),
    maxPriorityFeePerGasWei: uint256Column('max_priority_fee_per_gas_wei').notNull(),
    signedAt: timestamp('signed_at', { withTimezone: true }).notNull().defaultNow(),
    broadcastAt: timestamp('broadcast_at', { withTimezone: true }),
  },
  (table) => [
    primaryKey({ name: 'withdrawal_attempts_pk', columns: [table.withdrawalId, table.attempt] }),
    uniqueIndex('withdrawal_attempts_tx_hash_uq').on(table.txHash),
    check('withdrawal_attempts_attempt_ck', sql`attempt >= 1`),
  ],
);
export type ChainWithdrawalAttemptRow = typeof chainWithdrawalAttemptsTable.$inferSelect;

/**
 * The next nonce of each hot wallet. Allocating takes this row's lock (`for update`) for the rest of
 * the approving transaction, so two approvals at once get different nonces; the node's mined count
 * only moves it forward (a nonce used outside this service is never handed out).
 */
export const hotWalletNoncesTable = pgTable(
  'hot_wallet_nonces',
  {
    chainId: integer('chain_id').notNull(),
    address: text('address').notNull(),
    nextNonce: bigint('next_nonce', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'hot_wallet_nonces_pk', columns: [table.chainId, table.address] }),
    check('hot_wallet_nonces_next_nonce_ck', sql`next_nonce >= 0`),
  ],
);

/**
 * The one outcome of a withdrawal, inserted with its `confirmed` or `failed` event: the primary key
 * makes a second outcome (of either kind) fail the transaction that tries to publish it.
 */
export const chainWithdrawalOutcomesTable = pgTable(
  'withdrawal_outcomes',
  {
    withdrawalId: uuid('withdrawal_id').primaryKey(),
    outcome: text('outcome').$type<'confirmed' | 'failed'>().notNull(),
    eventId: text('event_id').notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
  },
  () => [check('withdrawal_outcomes_outcome_ck', sql`outcome in ('confirmed', 'failed')`)],
);
