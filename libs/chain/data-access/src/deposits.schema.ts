import type { InferSelectModel } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

// ---------------------------------------------------------------------------------------------
// The deposit side of the chain-watcher: users' deposit addresses, the scan cursor with the recent
// block hashes it was verified against, every observed token transfer to our addresses, and the
// claims users make ("I sent it in this transaction").
// ---------------------------------------------------------------------------------------------

const TOKEN_AMOUNT_TEXT_PATTERN = /^(0|[1-9][0-9]*)$/;

/**
 * A token amount in minor units: `numeric(78,0)` in SQL (an ERC-20 amount is a uint256, at most 78
 * digits), `bigint` in TypeScript, passed as text so it never goes through a float.
 */
export const tokenAmount = customType<{ data: bigint; driverData: string }>({
  dataType() {
    return 'numeric(78, 0)';
  },
  toDriver(value: bigint): string {
    if (typeof value !== 'bigint' || value < 0n) throw new TypeError(`a token amount must be a non-negative bigint, got ${String(value)}`);
    return value.toString();
  },
  fromDriver(value: string): bigint {
    const text = String(value);
    if (!TOKEN_AMOUNT_TEXT_PATTERN.test(text)) throw new TypeError(`not a token amount: ${JSON.stringify(text)}`);
    return BigInt(text);
  },
});

/**
 * Hands out derivation indexes, one counter row per chain (a row in this schema, where a sequence
 * would land in `public`, shared by every namespace). The row is bumped in the transaction that
 * stores the address, so an index is never given to two users; the unique index below backs that.
 */
export const depositAddressCountersTable = pgTable('deposit_address_counters', {
  chainId: integer('chain_id').primaryKey(),
  /** The index the next assignment takes. */
  nextIndex: integer('next_index').notNull(),
});

/** One deposit address per user and chain, derived from the configured xpub at `derivation_index`. */
export const depositAddressesTable = pgTable(
  'deposit_addresses',
  {
    userId: text('user_id').notNull(),
    chainId: integer('chain_id').notNull(),
    /** Lower-case 0x address; matched against the `to` topic of Transfer logs. */
    address: text('address').notNull(),
    /** Index on the xpub's external chain; never reused (see the sequence). */
    derivationIndex: integer('derivation_index').notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'deposit_addresses_pk', columns: [table.userId, table.chainId] }),
    uniqueIndex('deposit_addresses_address_uq').on(table.chainId, table.address),
    uniqueIndex('deposit_addresses_index_uq').on(table.chainId, table.derivationIndex),
  ],
);

/**
 * The last block the scanner processed, per chain. Moved in the same transaction as the
 * observations and outbox rows of the blocks it covers, so a restart resumes exactly there.
 */
export const scanCursorsTable = pgTable('scan_cursors', {
  chainId: integer('chain_id').primaryKey(),
  blockNumber: bigint('block_number', { mode: 'number' }).notNull(),
  /** Hash of `block_number` as verified when it was processed; null before the first block. */
  blockHash: text('block_hash'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/**
 * Hashes of the most recent processed blocks (a bounded window below the cursor): a reorg is found
 * when the node's hash for one of them differs, and the fork point is the highest one still equal.
 */
export const scannedBlocksTable = pgTable(
  'scanned_blocks',
  {
    chainId: integer('chain_id').notNull(),
    blockNumber: bigint('block_number', { mode: 'number' }).notNull(),
    blockHash: text('block_hash').notNull(),
    parentHash: text('parent_hash').notNull(),
  },
  (table) => [primaryKey({ name: 'scanned_blocks_pk', columns: [table.chainId, table.blockNumber] })],
);

/** Lifecycle of an observed deposit. */
export const DepositStates = {
  /** Seen in a canonical block, waiting for confirmations (or below the dust minimum, for good). */
  detected: 'detected',
  /** Reached the required confirmations; `deposit confirmed` was published. */
  confirmed: 'confirmed',
  /** Was confirmed, then a reorg removed its block; `deposit reverted` was published. */
  reverted: 'reverted',
  /**
   * Was detected (not confirmed), then a reorg removed its block: it no longer counts. Kept rather
   * than deleted so that, should the transaction land again in a new block, the row returns to
   * `detected` without a second `detected` event (whose id is derived from the deposit).
   */
  orphaned: 'orphaned',
} as const;
export type DepositState = (typeof DepositStates)[keyof typeof DepositStates];

/**
 * Every Transfer log of a watched token to one of our addresses, keyed by where it happened on
 * chain. An unconfirmed row whose block is orphaned by a reorg becomes `orphaned`; a confirmed one
 * becomes `reverted`.
 */
export const depositsTable = pgTable(
  'deposits',
  {
    chainId: integer('chain_id').notNull(),
    txHash: text('tx_hash').notNull(),
    logIndex: integer('log_index').notNull(),
    userId: text('user_id').notNull(),
    asset: text('asset').notNull(),
    tokenContract: text('token_contract').notNull(),
    toAddress: text('to_address').notNull(),
    fromAddress: text('from_address').notNull(),
    amount: tokenAmount('amount').notNull(),
    blockNumber: bigint('block_number', { mode: 'number' }).notNull(),
    blockHash: text('block_hash').notNull(),
    /** Under the asset's dust minimum: recorded and announced, never confirmed nor credited. */
    belowDustMinimum: boolean('below_dust_minimum').notNull(),
    state: text('state').$type<DepositState>().notNull(),
    detectedAt: timestamp('detected_at', { withTimezone: true }).notNull(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    revertedAt: timestamp('reverted_at', { withTimezone: true }),
  },
  (table) => [
    primaryKey({ name: 'deposits_pk', columns: [table.chainId, table.txHash, table.logIndex] }),
    index('deposits_awaiting_idx').on(table.chainId, table.blockNumber).where(sql`state = 'detected' and not below_dust_minimum`),
    index('deposits_block_idx').on(table.chainId, table.blockNumber),
    index('deposits_user_tx_idx').on(table.userId, table.txHash),
  ],
);
export type DepositRow = InferSelectModel<typeof depositsTable>;

/** What a claim is waiting for; `resolved` once the claimed transaction's deposits are confirmed or found to be dust. */
export const ClaimStates = {
  pendingNetworkRecovery: 'pending_network_recovery',
  open: 'open',
  resolved: 'resolved',
} as const;
export type ClaimState = (typeof ClaimStates)[keyof typeof ClaimStates];

/** A user's "I sent a deposit in this transaction"; never credits anything by itself. */
export const depositClaimsTable = pgTable(
  'deposit_claims',
  {
    userId: text('user_id').notNull(),
    txHash: text('tx_hash').notNull(),
    chainId: integer('chain_id').notNull(),
    state: text('state').$type<ClaimState>().notNull(),
    /** The last status answered or found (`depositClaimStatusSchema`). */
    lastStatus: text('last_status').notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull(),
    checkedAt: timestamp('checked_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ name: 'deposit_claims_pk', columns: [table.userId, table.txHash] }),
    index('deposit_claims_pending_idx').on(table.chainId, table.state).where(sql`state <> 'resolved'`),
  ],
);
