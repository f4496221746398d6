import { and, asc, eq, gt, gte, inArray, lt, lte, ne, sql } from 'drizzle-orm';
import {
  depositAddressAssignedV1,
  depositConfirmedV1,
  depositDetectedV1,
  depositRevertedV1,
  eventSubject,
  rangeRescannedV1,
  type CloudEvent,
} from '@strongbox/shared-contracts';
import { ENQUEUE_MESSAGES_MAX, enqueueEvents, type DbExecutor, type OutboxMessage } from '@strongbox/shared-db';
import type { BlockHeader } from './chain-rpc.client';
import type { DepositAddressDeriver } from './deposit-address.deriver';
import {
  ClaimStates,
  depositAddressCountersTable,
  depositAddressesTable,
  depositClaimsTable,
  DepositStates,
  depositsTable,
  scanCursorsTable,
  scannedBlocksTable,
  type ClaimState,
  type DepositRow,
  type DepositState,
} from './deposits.schema';
import { ChainError, ChainErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// Reads and writes of the deposit side. Every state change that others must hear about writes its
// events into the outbox in the same transaction. Event ids are derived from the deposit's place
// on chain (and the event type), so the same fact announced twice is one message: the outbox's
// unique event id and JetStream's msgID de-duplication both drop the copy.
// ---------------------------------------------------------------------------------------------

const SOURCE = 'strongbox/chain-watcher';
/** Most claims one recovery pass re-checks. */
export const CLAIMS_PER_PASS_MAX = 1_000;
/** Most addresses one incremental load returns; the caller loads again from where it stopped. */
export const ADDRESSES_PER_LOAD_MAX = 10_000;
/** Largest amount the contracts carry (38 decimal digits); a larger Transfer cannot be a deposit to credit. */
export const DEPOSIT_AMOUNT_MAX = 10n ** 38n - 1n;

/** A Transfer log to one of our addresses, decoded and attributed. */
export interface DepositObservation {
  readonly txHash: string;
  readonly logIndex: number;
  readonly userId: string;
  readonly asset: string;
  readonly tokenContract: string;
  readonly toAddress: string;
  readonly fromAddress: string;
  readonly amount: bigint;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly belowDustMinimum: boolean;
}

/** The event id of a deposit fact: one per (event type, chain id, tx hash, log index). */
export function depositEventId(kind: 'detected' | 'confirmed' | 'reverted', chainId: number, txHash: string, logIndex: number): string {
  return `deposit-${kind}:${chainId}:${txHash}:${logIndex}`;
}

async function enqueueAll(tx: DbExecutor, messages: readonly OutboxMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += ENQUEUE_MESSAGES_MAX) {
    await enqueueEvents(tx, messages.slice(start, start + ENQUEUE_MESSAGES_MAX));
  }
}

function message(namespace: string, event: CloudEvent): OutboxMessage {
  return { subject: eventSubject(namespace, event.type), event };
}

// ---------------------------------------------------------------------------------------------
// Deposit addresses
// ---------------------------------------------------------------------------------------------

export interface DepositAddress {
  readonly userId: string;
  readonly chainId: number;
  readonly address: string;
  readonly derivationIndex: number;
}

/**
 * Gives the user a deposit address unless they have one: takes the chain's next derivation index
 * (the counter row is bumped in this transaction, so two users never share an index), derives the
 * address and announces it. Returns the user's address and whether it was assigned now.
 */
export async function assignDepositAddress(
  tx: DbExecutor,
  input: { namespace: string; chainId: number; userId: string; deriver: DepositAddressDeriver; now: Date },
): Promise<{ address: DepositAddress; assigned: boolean }> {
  const userId = input.userId.toLowerCase();
  const [existing] = await tx
    .select()
    .from(depositAddressesTable)
    .where(and(eq(depositAddressesTable.userId, userId), eq(depositAddressesTable.chainId, input.chainId)));
  if (existing) return { address: existing, assigned: false };
  const [counter] = await tx
    .insert(depositAddressCountersTable)
    .values({ chainId: input.chainId, nextIndex: 1 })
    .onConflictDoUpdate({ target: depositAddressCountersTable.chainId, set: { nextIndex: sql`${depositAddressCountersTable.nextIndex} + 1` } })
    .returning({ nextIndex: depositAddressCountersTable.nextIndex });
  if (!counter) throw new Error('the derivation index counter returned no row');
  const derivationIndex = counter.nextIndex - 1;
  const checksummed = input.deriver.derive(derivationIndex);
  const row = { userId, chainId: input.chainId, address: checksummed.toLowerCase(), derivationIndex, assignedAt: input.now };
  await tx.insert(depositAddressesTable).values(row);
  const event = depositAddressAssignedV1.create({
    id: `deposit-address-assigned:${input.chainId}:${userId}`,
    source: SOURCE,
    subject: userId,
    time: input.now,
    data: { userId, chainId: input.chainId, address: checksummed, derivationIndex, assignedAt: input.now.toISOString() },
  });
  await enqueueEvents(tx, [message(input.namespace, event)]);
  return { address: row, assigned: true };
}

/** The user's deposit address on `chainId`, or undefined. */
export async function findDepositAddress(db: DbExecutor, userId: string, chainId: number): Promise<DepositAddress | undefined> {
  const [row] = await db
    .select()
    .from(depositAddressesTable)
    .where(and(eq(depositAddressesTable.userId, userId.toLowerCase()), eq(depositAddressesTable.chainId, chainId)));
  return row;
}

/** Addresses with a derivation index from `fromIndex` on, in index order, at most ADDRESSES_PER_LOAD_MAX. */
export async function loadDepositAddresses(db: DbExecutor, chainId: number, fromIndex: number): Promise<DepositAddress[]> {
  return db
    .select()
    .from(depositAddressesTable)
    .where(and(eq(depositAddressesTable.chainId, chainId), gte(depositAddressesTable.derivationIndex, fromIndex)))
    .orderBy(asc(depositAddressesTable.derivationIndex))
    .limit(ADDRESSES_PER_LOAD_MAX);
}

// ---------------------------------------------------------------------------------------------
// Cursor and block hashes
// ---------------------------------------------------------------------------------------------

export interface ScanCursor {
  readonly blockNumber: number;
  readonly blockHash: string | null;
}

/** The chain's cursor; creates it at `startBlock - 1` (nothing processed) the first time. */
export async function ensureScanCursor(db: DbExecutor, chainId: number, startBlock: number, now: Date): Promise<ScanCursor> {
  await db
    .insert(scanCursorsTable)
    .values({ chainId, blockNumber: startBlock - 1, blockHash: null, updatedAt: now })
    .onConflictDoNothing({ target: scanCursorsTable.chainId });
  const cursor = await readScanCursor(db, chainId);
  if (!cursor) throw new Error(`chain ${chainId} has no scan cursor right after creating it`);
  return cursor;
}

export async function readScanCursor(db: DbExecutor, chainId: number): Promise<ScanCursor | undefined> {
  const [row] = await db.select().from(scanCursorsTable).where(eq(scanCursorsTable.chainId, chainId));
  return row ? { blockNumber: row.blockNumber, blockHash: row.blockHash } : undefined;
}

/** Stored hashes of the recent blocks from `fromBlock` to `toBlock`, by number. */
export async function storedBlockHashes(db: DbExecutor, chainId: number, fromBlock: number, toBlock: number): Promise<Map<number, string>> {
  const rows = await db
    .select({ blockNumber: scannedBlocksTable.blockNumber, blockHash: scannedBlocksTable.blockHash })
    .from(scannedBlocksTable)
    .where(and(eq(scannedBlocksTable.chainId, chainId), gte(scannedBlocksTable.blockNumber, fromBlock), lte(scannedBlocksTable.blockNumber, toBlock)));
  return new Map(rows.map((row) => [row.blockNumber, row.blockHash]));
}

/** Locks the cursor row and checks nobody moved it since the caller read it (one scanner per chain). */
async function lockCursorAt(tx: DbExecutor, chainId: number, expected: number): Promise<void> {
  const [row] = await tx.select().from(scanCursorsTable).where(eq(scanCursorsTable.chainId, chainId)).for('update');
  if (!row) throw new Error(`chain ${chainId} has no scan cursor`);
  if (row.blockNumber !== expected) {
    throw new ChainError(ChainErrorCodes.limit, `the scan cursor of chain ${chainId} moved from ${expected} to ${row.blockNumber} meanwhile; another scanner runs`);
  }
}

// ---------------------------------------------------------------------------------------------
// Committing a scanned range, and rewinding after a reorg
// ---------------------------------------------------------------------------------------------

export interface CommitRangeInput {
  readonly namespace: string;
  readonly chainId: number;
  /** The cursor the range starts after; the commit fails if it moved meanwhile. */
  readonly fromCursor: number;
  /** The last block of the range and its verified hash. */
  readonly toBlock: BlockHeader;
  /** Headers of the range's recent blocks to remember (those within the kept window). */
  readonly headers: readonly BlockHeader[];
  readonly observations: readonly DepositObservation[];
  readonly requiredConfirmations: number;
  /** Hashes kept below the cursor. */
  readonly keptBlocks: number;
  readonly now: Date;
}

export interface CommitRangeResult {
  /** Observations new to the table (a `detected` event each). */
  readonly detected: readonly DepositObservation[];
  /** Deposits that reached the required confirmations with this range. */
  readonly confirmed: readonly DepositRow[];
}

/**
 * Stores what a scan of `(fromCursor, toBlock]` found and moves the cursor, in the caller's
 * transaction: new observations (and their `detected` events), the deposits the new cursor confirms
 * (`confirmed` when cursor - block + 1 >= required confirmations), the recent block hashes.
 */
export async function commitScannedRange(tx: DbExecutor, input: CommitRangeInput): Promise<CommitRangeResult> {
  await lockCursorAt(tx, input.chainId, input.fromCursor);
  const messages: OutboxMessage[] = [];
  const detected: DepositObservation[] = [];
  for (const observation of input.observations) {
    // New rows are inserted; an `orphaned` row (its block was reorged away) whose transaction lands
    // again returns to `detected` under its new block; any other existing row stays as it is.
    const [row] = await tx
      .insert(depositsTable)
      .values({ chainId: input.chainId, ...observation, state: DepositStates.detected, detectedAt: input.now })
      .onConflictDoUpdate({
        target: [depositsTable.chainId, depositsTable.txHash, depositsTable.logIndex],
        set: { blockNumber: observation.blockNumber, blockHash: observation.blockHash, state: DepositStates.detected },
        setWhere: eq(depositsTable.state, DepositStates.orphaned),
      })
      .returning({ inserted: sql<boolean>`(xmax = 0)` });
    if (!row?.inserted) continue;
    detected.push(observation);
    messages.push(
      message(
        input.namespace,
        depositDetectedV1.create({
          id: depositEventId('detected', input.chainId, observation.txHash, observation.logIndex),
          source: SOURCE,
          subject: observation.userId,
          time: input.now,
          data: {
            chainId: input.chainId,
            txHash: observation.txHash,
            logIndex: observation.logIndex,
            userId: observation.userId,
            asset: observation.asset,
            amount: observation.amount.toString(),
            tokenContract: observation.tokenContract,
            toAddress: observation.toAddress,
            fromAddress: observation.fromAddress,
            blockNumber: observation.blockNumber,
            blockHash: observation.blockHash,
            requiredConfirmations: input.requiredConfirmations,
            belowDustMinimum: observation.belowDustMinimum,
            detectedAt: input.now.toISOString(),
          },
        }),
      ),
    );
  }

  const cursor = input.toBlock.number;
  const confirmed = await tx
    .update(depositsTable)
    .set({ state: DepositStates.confirmed, confirmedAt: input.now })
    .where(
      and(
        eq(depositsTable.chainId, input.chainId),
        eq(depositsTable.state, DepositStates.detected),
        eq(depositsTable.belowDustMinimum, false),
        lte(depositsTable.blockNumber, cursor - input.requiredConfirmations + 1),
      ),
    )
    .returning();
  for (const deposit of confirmed) {
    messages.push(
      message(
        input.namespace,
        depositConfirmedV1.create({
          id: depositEventId('confirmed', input.chainId, deposit.txHash, deposit.logIndex),
          source: SOURCE,
          subject: deposit.userId,
          time: input.now,
          data: {
            chainId: input.chainId,
            txHash: deposit.txHash,
            logIndex: deposit.logIndex,
            userId: deposit.userId,
            asset: deposit.asset,
            amount: deposit.amount.toString(),
            toAddress: deposit.toAddress,
            fromAddress: deposit.fromAddress,
            blockNumber: deposit.blockNumber,
            blockHash: deposit.blockHash,
            confirmations: cursor - deposit.blockNumber + 1,
          },
        }),
      ),
    );
  }
  await enqueueAll(tx, messages);

  if (input.headers.length > 0) {
    await tx
      .insert(scannedBlocksTable)
      .values(input.headers.map((header) => ({ chainId: input.chainId, blockNumber: header.number, blockHash: header.hash, parentHash: header.parentHash })))
      .onConflictDoUpdate({
        target: [scannedBlocksTable.chainId, scannedBlocksTable.blockNumber],
        set: { blockHash: sql`excluded.block_hash`, parentHash: sql`excluded.parent_hash` },
      });
  }
  await tx.delete(scannedBlocksTable).where(and(eq(scannedBlocksTable.chainId, input.chainId), lt(scannedBlocksTable.blockNumber, cursor - input.keptBlocks)));
  await tx
    .update(scanCursorsTable)
    .set({ blockNumber: cursor, blockHash: input.toBlock.hash, updatedAt: input.now })
    .where(eq(scanCursorsTable.chainId, input.chainId));
  return { detected, confirmed };
}

export interface RewindResult {
  /** Unconfirmed deposits that no longer count. */
  readonly orphaned: number;
  /** Confirmed deposits reorged away: `deposit reverted` was written for each. */
  readonly reverted: readonly DepositRow[];
}

/**
 * After a reorg: moves the cursor back to the fork point (the highest block whose stored hash the
 * node still has), drops what was observed above it — unconfirmed deposits become `orphaned`,
 * confirmed ones `reverted` with a `deposit reverted` event — and forgets the orphaned hashes.
 */
export async function rewindToForkPoint(
  tx: DbExecutor,
  input: { namespace: string; chainId: number; fromCursor: number; forkPoint: number; forkHash: string | null; reason: string; now: Date },
): Promise<RewindResult> {
  await lockCursorAt(tx, input.chainId, input.fromCursor);
  const above = and(eq(depositsTable.chainId, input.chainId), gt(depositsTable.blockNumber, input.forkPoint));
  const orphaned = await tx
    .update(depositsTable)
    .set({ state: DepositStates.orphaned })
    .where(and(above, eq(depositsTable.state, DepositStates.detected)))
    .returning({ txHash: depositsTable.txHash });
  const reverted = await tx
    .update(depositsTable)
    .set({ state: DepositStates.reverted, revertedAt: input.now })
    .where(and(above, eq(depositsTable.state, DepositStates.confirmed)))
    .returning();
  await enqueueAll(
    tx,
    reverted.map((deposit) =>
      message(
        input.namespace,
        depositRevertedV1.create({
          id: depositEventId('reverted', input.chainId, deposit.txHash, deposit.logIndex),
          source: SOURCE,
          subject: deposit.userId,
          time: input.now,
          data: {
            chainId: input.chainId,
            txHash: deposit.txHash,
            logIndex: deposit.logIndex,
            userId: deposit.userId,
            asset: deposit.asset,
            amount: deposit.amount.toString(),
            reason: input.reason.slice(0, 512),
          },
        }),
      ),
    ),
  );
  await tx.delete(scannedBlocksTable).where(and(eq(scannedBlocksTable.chainId, input.chainId), gt(scannedBlocksTable.blockNumber, input.forkPoint)));
  await tx
    .update(scanCursorsTable)
    .set({ blockNumber: input.forkPoint, blockHash: input.forkHash, updatedAt: input.now })
    .where(eq(scanCursorsTable.chainId, input.chainId));
  return { orphaned: orphaned.length, reverted };
}

/** Writes `chain.evt.range.rescanned.v1` into the outbox. */
export async function recordRangeRescanned(
  tx: DbExecutor,
  input: {
    namespace: string;
    chainId: number;
    fromBlock: number;
    toBlock: number;
    depositsFound: number;
    reason: 'node-recovery' | 'reorg' | 'manual';
    startedAt: Date;
    finishedAt: Date;
  },
): Promise<void> {
  const event = rangeRescannedV1.create({
    source: SOURCE,
    subject: String(input.chainId),
    time: input.finishedAt,
    data: {
      chainId: input.chainId,
      fromBlock: input.fromBlock,
      toBlock: input.toBlock,
      depositsFound: input.depositsFound,
      reason: input.reason,
      startedAt: input.startedAt.toISOString(),
      finishedAt: input.finishedAt.toISOString(),
    },
  });
  await enqueueEvents(tx, [message(input.namespace, event)]);
}

// ---------------------------------------------------------------------------------------------
// Claims
// ---------------------------------------------------------------------------------------------

/** The user's deposits in one transaction (any state). */
export async function depositsOfTransaction(db: DbExecutor, input: { chainId: number; userId: string; txHash: string }): Promise<DepositRow[]> {
  return db
    .select()
    .from(depositsTable)
    .where(and(eq(depositsTable.chainId, input.chainId), eq(depositsTable.userId, input.userId.toLowerCase()), eq(depositsTable.txHash, input.txHash)));
}

/** Stores (or updates) a claim with its state and the status last found. */
export async function saveClaim(
  db: DbExecutor,
  input: { chainId: number; userId: string; txHash: string; state: ClaimState; lastStatus: string; now: Date },
): Promise<void> {
  await db
    .insert(depositClaimsTable)
    .values({ userId: input.userId.toLowerCase(), txHash: input.txHash, chainId: input.chainId, state: input.state, lastStatus: input.lastStatus, claimedAt: input.now, checkedAt: input.now })
    .onConflictDoUpdate({
      target: [depositClaimsTable.userId, depositClaimsTable.txHash],
      set: { state: input.state, lastStatus: input.lastStatus, checkedAt: input.now },
    });
}

/** Claims not resolved yet (pending network recovery first), at most `limit`. */
export async function unresolvedClaims(db: DbExecutor, chainId: number, limit: number) {
  return db
    .select()
    .from(depositClaimsTable)
    .where(and(eq(depositClaimsTable.chainId, chainId), ne(depositClaimsTable.state, ClaimStates.resolved)))
    .orderBy(asc(depositClaimsTable.claimedAt))
    .limit(Math.min(limit, CLAIMS_PER_PASS_MAX));
}

/** Deposits by state, for tests and operators. */
export async function depositsInStates(db: DbExecutor, chainId: number, states: readonly DepositState[]): Promise<DepositRow[]> {
  return db.select().from(depositsTable).where(and(eq(depositsTable.chainId, chainId), inArray(depositsTable.state, [...states])));
}
