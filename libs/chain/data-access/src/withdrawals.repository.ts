import { and, asc, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import { chainWithdrawalBroadcastV1, chainWithdrawalConfirmedV1, chainWithdrawalFailedV1, eventSubject } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import {
  ChainWithdrawalFailureReasons,
  ChainWithdrawalStates,
  chainWithdrawalAttemptsTable,
  chainWithdrawalOutcomesTable,
  chainWithdrawalsTable,
  hotWalletNoncesTable,
  type ChainWithdrawalAttemptRow,
  type ChainWithdrawalFailureReason,
  type ChainWithdrawalRow,
} from './withdrawals.schema';

// ---------------------------------------------------------------------------------------------
// Withdrawal rows, their attempts and outcomes, and the hot wallet's nonce counter. Every change
// that publishes an event enqueues it in the caller's transaction.
// ---------------------------------------------------------------------------------------------

const SOURCE = 'strongbox/chain-watcher';
/** Longest `detail` of a failed event (the contract's maximum). */
const FAILURE_DETAIL_LENGTH_MAX = 512;
/** Open withdrawals one pass of the watcher reads at most. */
export const OPEN_WITHDRAWALS_PER_PASS_MAX = 200;

const OPEN_STATES = [ChainWithdrawalStates.signed, ChainWithdrawalStates.broadcast];

export interface ApprovedWithdrawal {
  readonly withdrawalId: string;
  readonly userId: string;
  readonly chainId: number;
  readonly asset: string;
  readonly amount: bigint;
  readonly toAddress: string;
  readonly approvedEventId: string;
}

/** A withdrawal still being sent or watched, with its attempts (oldest first). */
export interface OpenWithdrawal {
  readonly withdrawal: ChainWithdrawalRow;
  readonly attempts: readonly ChainWithdrawalAttemptRow[];
}

/** The withdrawal row, or undefined. */
export async function findChainWithdrawal(db: DbExecutor, withdrawalId: string): Promise<ChainWithdrawalRow | undefined> {
  const [row] = await db.select().from(chainWithdrawalsTable).where(eq(chainWithdrawalsTable.withdrawalId, withdrawalId)).limit(1);
  return row;
}

/**
 * Locks the hot wallet's nonce row for the rest of the transaction and returns the nonce to use:
 * the stored next nonce, or the node's mined count when that is higher (a nonce used outside this
 * service is never handed out again). Also returns the token amount of our withdrawals that are
 * signed but whose nonce is not mined at the snapshot's block: the balance they will still take.
 * Call `commitNonce` to hand the nonce out; a rollback returns it.
 */
export async function lockNextNonce(
  tx: DbExecutor,
  input: { chainId: number; address: string; tokenContract: string; minedNonce: number },
): Promise<{ nonce: number; pendingAmount: bigint }> {
  const address = input.address.toLowerCase();
  await tx
    .insert(hotWalletNoncesTable)
    .values({ chainId: input.chainId, address, nextNonce: input.minedNonce })
    .onConflictDoNothing({ target: [hotWalletNoncesTable.chainId, hotWalletNoncesTable.address] });
  const [row] = await tx
    .select({ nextNonce: hotWalletNoncesTable.nextNonce })
    .from(hotWalletNoncesTable)
    .where(and(eq(hotWalletNoncesTable.chainId, input.chainId), eq(hotWalletNoncesTable.address, address)))
    .for('update');
  if (!row) throw new Error(`hot wallet nonce row of ${address} vanished inside its own transaction`);
  // Read after taking the lock, so a concurrent approval that committed first is counted.
  const [pending] = await tx
    .select({ total: sql<string>`coalesce(sum(${chainWithdrawalsTable.amount}), 0)::text` })
    .from(chainWithdrawalsTable)
    .where(
      and(
        eq(chainWithdrawalsTable.chainId, input.chainId),
        eq(chainWithdrawalsTable.fromAddress, address),
        eq(chainWithdrawalsTable.tokenContract, input.tokenContract.toLowerCase()),
        inArray(chainWithdrawalsTable.state, OPEN_STATES),
        gte(chainWithdrawalsTable.nonce, input.minedNonce),
      ),
    );
  return { nonce: Math.max(row.nextNonce, input.minedNonce), pendingAmount: BigInt(pending?.total ?? '0') };
}

/** Moves the counter past `nonce` (same transaction as `lockNextNonce`). */
export async function commitNonce(tx: DbExecutor, input: { chainId: number; address: string; nonce: number }): Promise<void> {
  await tx
    .update(hotWalletNoncesTable)
    .set({ nextNonce: input.nonce + 1, updatedAt: new Date() })
    .where(and(eq(hotWalletNoncesTable.chainId, input.chainId), eq(hotWalletNoncesTable.address, input.address.toLowerCase())));
}

/** Stores a signed withdrawal and its first attempt; nothing is sent yet. */
export async function insertSignedWithdrawal(
  tx: DbExecutor,
  input: ApprovedWithdrawal & {
    fromAddress: string;
    tokenContract: string;
    nonce: number;
    attempt: { txHash: string; rawTransaction: string; maxFeePerGasWei: bigint; maxPriorityFeePerGasWei: bigint };
  },
): Promise<void> {
  await tx.insert(chainWithdrawalsTable).values({
    withdrawalId: input.withdrawalId,
    userId: input.userId,
    chainId: input.chainId,
    asset: input.asset,
    amount: input.amount,
    toAddress: input.toAddress,
    tokenContract: input.tokenContract.toLowerCase(),
    fromAddress: input.fromAddress.toLowerCase(),
    nonce: input.nonce,
    state: ChainWithdrawalStates.signed,
    approvedEventId: input.approvedEventId,
  });
  await tx.insert(chainWithdrawalAttemptsTable).values({ withdrawalId: input.withdrawalId, attempt: 1, ...input.attempt });
}

/** Stores a replacement attempt (same nonce, higher fee) before it is sent. */
export async function insertAttempt(
  tx: DbExecutor,
  input: { withdrawalId: string; attempt: number; txHash: string; rawTransaction: string; maxFeePerGasWei: bigint; maxPriorityFeePerGasWei: bigint },
): Promise<void> {
  await tx.insert(chainWithdrawalAttemptsTable).values(input);
}

/**
 * Records a withdrawal that could not be built or signed (unknown asset, bad address, no funds) and
 * enqueues `failed` (`rejected`, no tx hash) with its outcome row.
 */
export async function recordRejectedWithdrawal(
  tx: DbExecutor,
  input: ApprovedWithdrawal & { namespace: string; fromAddress: string; tokenContract: string | null; detail: string },
): Promise<void> {
  await tx.insert(chainWithdrawalsTable).values({
    withdrawalId: input.withdrawalId,
    userId: input.userId,
    chainId: input.chainId,
    asset: input.asset,
    amount: input.amount,
    toAddress: input.toAddress,
    tokenContract: input.tokenContract?.toLowerCase() ?? null,
    fromAddress: input.fromAddress.toLowerCase(),
    nonce: null,
    state: ChainWithdrawalStates.failed,
    failureReason: ChainWithdrawalFailureReasons.rejected,
    failureDetail: input.detail.slice(0, FAILURE_DETAIL_LENGTH_MAX),
    approvedEventId: input.approvedEventId,
  });
  await enqueueOutcome(tx, input.namespace, {
    withdrawalId: input.withdrawalId,
    userId: input.userId,
    chainId: input.chainId,
    outcome: { kind: 'failed', reason: ChainWithdrawalFailureReasons.rejected, txHash: null, detail: input.detail },
  });
}

/** Withdrawals still signed or broadcast for the wallet, lowest nonce first, with their attempts. */
export async function listOpenWithdrawals(db: DbExecutor, input: { chainId: number; fromAddress: string }): Promise<OpenWithdrawal[]> {
  const withdrawals = await db
    .select()
    .from(chainWithdrawalsTable)
    .where(
      and(
        eq(chainWithdrawalsTable.chainId, input.chainId),
        eq(chainWithdrawalsTable.fromAddress, input.fromAddress.toLowerCase()),
        inArray(chainWithdrawalsTable.state, OPEN_STATES),
      ),
    )
    .orderBy(asc(chainWithdrawalsTable.nonce))
    .limit(OPEN_WITHDRAWALS_PER_PASS_MAX);
  if (withdrawals.length === 0) return [];
  const attempts = await db
    .select()
    .from(chainWithdrawalAttemptsTable)
    .where(inArray(chainWithdrawalAttemptsTable.withdrawalId, withdrawals.map((row) => row.withdrawalId)))
    .orderBy(asc(chainWithdrawalAttemptsTable.withdrawalId), asc(chainWithdrawalAttemptsTable.attempt));
  return withdrawals.map((withdrawal) => ({ withdrawal, attempts: attempts.filter((attempt) => attempt.withdrawalId === withdrawal.withdrawalId) }));
}

/**
 * Notes that the node accepted an attempt: the first time for this attempt it sets `broadcast_at`,
 * moves the withdrawal from `signed` to `broadcast` and enqueues `broadcast`; later calls do nothing.
 * Returns whether this call was the first.
 */
export async function markAttemptBroadcast(
  tx: DbExecutor,
  input: { namespace: string; withdrawal: ChainWithdrawalRow; attempt: ChainWithdrawalAttemptRow; broadcastAt: Date },
): Promise<boolean> {
  const updated = await tx
    .update(chainWithdrawalAttemptsTable)
    .set({ broadcastAt: input.broadcastAt })
    .where(
      and(
        eq(chainWithdrawalAttemptsTable.withdrawalId, input.attempt.withdrawalId),
        eq(chainWithdrawalAttemptsTable.attempt, input.attempt.attempt),
        isNull(chainWithdrawalAttemptsTable.broadcastAt),
      ),
    )
    .returning({ attempt: chainWithdrawalAttemptsTable.attempt });
  if (updated.length === 0) return false;
  await tx
    .update(chainWithdrawalsTable)
    .set({ state: ChainWithdrawalStates.broadcast, updatedAt: input.broadcastAt })
    .where(and(eq(chainWithdrawalsTable.withdrawalId, input.withdrawal.withdrawalId), eq(chainWithdrawalsTable.state, ChainWithdrawalStates.signed)));
  const { withdrawal, attempt } = input;
  if (withdrawal.nonce === null || withdrawal.tokenContract === null) throw new Error(`withdrawal ${withdrawal.withdrawalId} was broadcast without a nonce or token`);
  const event = chainWithdrawalBroadcastV1.create({
    source: SOURCE,
    subject: withdrawal.withdrawalId,
    time: input.broadcastAt,
    data: {
      withdrawalId: withdrawal.withdrawalId,
      userId: withdrawal.userId,
      chainId: withdrawal.chainId,
      txHash: attempt.txHash,
      nonce: withdrawal.nonce,
      attempt: attempt.attempt,
      fromAddress: withdrawal.fromAddress,
      toAddress: withdrawal.toAddress,
      tokenContract: withdrawal.tokenContract,
      asset: withdrawal.asset,
      amount: withdrawal.amount.toString(),
      broadcastAt: input.broadcastAt.toISOString(),
    },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event }]);
  return true;
}

export type WithdrawalOutcome =
  | { readonly kind: 'confirmed'; readonly txHash: string; readonly blockNumber: number; readonly blockHash: string; readonly confirmations: number }
  | { readonly kind: 'failed'; readonly reason: ChainWithdrawalFailureReason; readonly txHash: string | null; readonly detail: string; readonly blockNumber?: number; readonly blockHash?: string };

/**
 * Ends an open withdrawal with `confirmed` or `failed`: the row leaves `signed`/`broadcast` only
 * once (a conditional update), the outcome row's primary key refuses a second outcome of either
 * kind, and the event is enqueued in the same transaction. Returns false when the withdrawal was no
 * longer open (someone else decided first).
 */
export async function recordOutcome(
  tx: DbExecutor,
  input: { namespace: string; withdrawal: ChainWithdrawalRow; outcome: WithdrawalOutcome },
): Promise<boolean> {
  const { withdrawal, outcome } = input;
  const now = new Date();
  const updated = await tx
    .update(chainWithdrawalsTable)
    .set(
      outcome.kind === 'confirmed'
        ? { state: ChainWithdrawalStates.confirmed, finalTxHash: outcome.txHash, blockNumber: outcome.blockNumber, blockHash: outcome.blockHash, updatedAt: now }
        : {
            state: ChainWithdrawalStates.failed,
            failureReason: outcome.reason,
            failureDetail: outcome.detail.slice(0, FAILURE_DETAIL_LENGTH_MAX),
            finalTxHash: outcome.txHash,
            blockNumber: outcome.blockNumber ?? null,
            blockHash: outcome.blockHash ?? null,
            updatedAt: now,
          },
    )
    .where(and(eq(chainWithdrawalsTable.withdrawalId, withdrawal.withdrawalId), inArray(chainWithdrawalsTable.state, OPEN_STATES)))
    .returning({ withdrawalId: chainWithdrawalsTable.withdrawalId });
  if (updated.length === 0) return false;
  await enqueueOutcome(tx, input.namespace, { withdrawalId: withdrawal.withdrawalId, userId: withdrawal.userId, chainId: withdrawal.chainId, outcome, time: now });
  return true;
}

async function enqueueOutcome(
  tx: DbExecutor,
  namespace: string,
  input: { withdrawalId: string; userId: string; chainId: number; outcome: WithdrawalOutcome; time?: Date },
): Promise<void> {
  const time = input.time ?? new Date();
  const identity = { withdrawalId: input.withdrawalId, userId: input.userId, chainId: input.chainId };
  const { outcome } = input;
  const event =
    outcome.kind === 'confirmed'
      ? chainWithdrawalConfirmedV1.create({
          source: SOURCE,
          subject: input.withdrawalId,
          time,
          data: {
            ...identity,
            txHash: outcome.txHash,
            blockNumber: outcome.blockNumber,
            blockHash: outcome.blockHash,
            confirmations: outcome.confirmations,
            confirmedAt: time.toISOString(),
          },
        })
      : chainWithdrawalFailedV1.create({
          source: SOURCE,
          subject: input.withdrawalId,
          time,
          data: { ...identity, txHash: outcome.txHash, reason: outcome.reason, detail: outcome.detail.slice(0, FAILURE_DETAIL_LENGTH_MAX), failedAt: time.toISOString() },
        });
  await tx.insert(chainWithdrawalOutcomesTable).values({ withdrawalId: input.withdrawalId, outcome: outcome.kind, eventId: event.id, decidedAt: time });
  await enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event }]);
}
