import { and, inArray } from 'drizzle-orm';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { LedgerCommandErrors, type transferV1 } from '@strongbox/shared-contracts';
import { claimIdempotencyKeys, DbError, DbErrorCodes, sqlStateOf, storeIdempotentResponses, type DatabaseHandle } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { CommandError } from '@strongbox/shared-messaging';
import { getOrCreateHistogram } from '@strongbox/shared-observability';
import {
  AccountKinds,
  accountsTable,
  availableOf,
  LedgerErrorCodes,
  planTransferCalls,
  TransferCodes,
  type AccountBalance,
  type AccountRow,
  type TransferCall,
} from '@strongbox/ledger-data-access';
import { answer, balanceOf, type StoredAnswer } from './command.decisions';

// ---------------------------------------------------------------------------------------------
// Group commit of `transfer` commands. While one transaction of transfers is running, the commands
// that arrive queue up; the next transaction takes up to TRANSFER_BATCH_MAX of them and decides them
// together: their idempotency keys are claimed with one statement, every account they touch is
// locked with one statement (ascending id order), each transfer is applied in memory on its own
// (a refusal affects only its command), and the transfers, the new totals, the events and every
// answer are written in one round trip before a single commit. A lone command therefore waits for
// nothing; under load the cost of a commit and of each round trip is shared by the whole batch.
//
// The semantics are those of one command per transaction: the answer (success or refusal) is stored
// with the key in the transaction that makes the effect; a key already stored, or given twice in one
// batch, goes through the single-command path after the batch (replay, conflict or "in progress");
// and if the batch's transaction fails, nothing of it committed.
//
// Written here rather than taken from a library: the batching is inseparable from the ledger's
// transaction, its lock order and its idempotency table.
// ---------------------------------------------------------------------------------------------

type TransferRequest = z.output<typeof transferV1.request>;
type TransferReply = z.input<typeof transferV1.response>;

/** Most commands one transaction decides; bounds its locks, statements and latency. */
export const TRANSFER_BATCH_MAX = 64;
/** Batch transactions running at once. */
export const TRANSFER_BATCHES_IN_FLIGHT = 2;
/** Most commands waiting for a batch; beyond it a command is refused at once, retryably. */
export const TRANSFER_QUEUE_MAX = 4_096;
/**
 * Longest a batch's transaction may run before its commands are answered "unavailable" (retryable)
 * and its slot is given to the next batch. Above the 5 s a key claim waits for a running duplicate;
 * below the 15 s statement timeout. Guards against a transaction that never settles — a query the
 * driver queued on a connection that keeps reconnecting after a PostgreSQL restart — which would
 * otherwise hold its slot for good and, with both slots held, every later transfer.
 */
export const TRANSFER_BATCH_DEADLINE_MS = 10_000;

const SCOPE = 'ledger.transfer';
const ISOLATION = 'read committed' as const;
/** SQLSTATEs after which the batch's commands are worth trying again one by one: deadlock, serialization, lock wait. */
const RETRY_ALONE_STATES = new Set(['40P01', '40001', '55P03']);

interface Waiting {
  readonly request: TransferRequest;
  readonly resolve: (reply: TransferReply) => void;
  readonly reject: (error: unknown) => void;
}

export interface TransferBatcherOptions {
  readonly database: DatabaseHandle;
  readonly namespace: string;
  readonly now: () => Date;
  /** The single-command path: for keys a batch could not claim, and after a batch that must be retried alone. */
  readonly single: (request: TransferRequest) => Promise<TransferReply>;
  readonly registry?: Registry;
  /** Overrides TRANSFER_BATCH_DEADLINE_MS. */
  readonly deadlineMs?: number;
  /** Told when a batch passed its deadline, and again when its transaction settles after all. */
  readonly onOverdue?: (event: { commands: number; settled?: 'committed' | 'failed'; elapsedMs: number }) => void;
}

export interface TransferBatcher {
  transfer(request: TransferRequest): Promise<TransferReply>;
}

function worthRetryingAlone(error: unknown): boolean {
  if (error instanceof DbError && error.code === DbErrorCodes.idempotencyInProgress) return true;
  const state = sqlStateOf(error);
  return state !== undefined && RETRY_ALONE_STATES.has(state);
}

const refusal = (code: string, message: string, details: Record<string, string> = {}): StoredAnswer<TransferReply> => ({
  ok: false,
  error: { code, message, details },
});

/** Thrown in place of a batch's outcome once its deadline has passed. */
class BatchOverdue extends Error {}

export function createTransferBatcher(options: TransferBatcherOptions): TransferBatcher {
  const { database, namespace } = options;
  const deadlineMs = options.deadlineMs ?? TRANSFER_BATCH_DEADLINE_MS;
  const queue: Waiting[] = [];
  let draining = 0;
  const batchSize = options.registry
    ? getOrCreateHistogram(options.registry, {
        name: 'ledger_transfer_batch_size',
        help: 'Transfer commands decided together in one transaction.',
        buckets: [1, 2, 4, 8, 16, 32, 64],
      })
    : undefined;

  /** Decides one batch in one transaction; settles every command of it (some through the single path). */
  async function runBatch(batch: readonly Waiting[]): Promise<void> {
    const owners = new Map<string, Waiting>();
    const alone: Waiting[] = [];
    let settled: Array<{ waiting: Waiting; stored: StoredAnswer<TransferReply> }>;
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let overdue = false;
    try {
      const transaction = database.db.transaction(
        async (tx) => {
          const userIds = [...new Set(batch.flatMap(({ request }) => [request.fromUserId, request.toUserId]))];
          const assets = [...new Set(batch.map(({ request }) => request.asset))];
          // Sent together; when the claim fails (its lock wait ran out), the read fails too with the
          // aborted transaction, so the claim's own error is the one that counts.
          const [claim, read] = await Promise.allSettled([
            claimIdempotencyKeys(tx, { scope: SCOPE, entries: batch.map(({ request }) => ({ key: request.idempotencyKey, request })) }),
            tx
              .select()
              .from(accountsTable)
              .where(and(inArray(accountsTable.userId, userIds), inArray(accountsTable.asset, assets))),
          ]);
          if (claim.status === 'rejected') throw claim.reason;
          if (read.status === 'rejected') throw read.reason;
          const claimed = claim.value;
          const rows = read.value;
          for (const waiting of batch) {
            const key = waiting.request.idempotencyKey;
            if (claimed.has(key) && !owners.has(key)) owners.set(key, waiting);
            else alone.push(waiting);
          }
          const accountOf = (userId: string, asset: string, kind: string): AccountRow | undefined =>
            rows.find((row) => row.userId === userId && row.asset === asset && row.kind === kind);

          // Refusals that need no locks, then one call per remaining command.
          const decided = new Map<Waiting, StoredAnswer<TransferReply>>();
          const calls: TransferCall[] = [];
          const callers: Array<{ waiting: Waiting; transferId: string }> = [];
          for (const waiting of owners.values()) {
            const { request } = waiting;
            if (request.fromUserId === request.toUserId) {
              decided.set(waiting, refusal(LedgerErrorCodes.invalidTransfer, 'a transfer needs two different users'));
              continue;
            }
            const from = accountOf(request.fromUserId, request.asset, AccountKinds.userAvailable);
            const to = accountOf(request.toUserId, request.asset, AccountKinds.userAvailable);
            const missing = from === undefined ? request.fromUserId : to === undefined ? request.toUserId : undefined;
            if (missing !== undefined || from === undefined || to === undefined) {
              const userId = missing ?? request.fromUserId;
              decided.set(waiting, refusal(LedgerErrorCodes.accountNotFound, `user ${userId} has no ${request.asset} account`, { userId, asset: request.asset }));
              continue;
            }
            const transferId = newId();
            calls.push({
              causationId: request.idempotencyKey,
              transfers: [
                {
                  id: transferId,
                  debitAccountId: from.id,
                  creditAccountId: to.id,
                  amount: BigInt(request.amount),
                  code: TransferCodes.internalTransfer,
                  ...(request.note ? { metadata: { note: request.note } } : {}),
                },
              ],
            });
            callers.push({ waiting, transferId });
          }

          const plan = calls.length > 0 ? await planTransferCalls(tx, { namespace, calls, now: options.now() }) : undefined;
          plan?.outcomes.forEach((outcome, index) => {
            const { waiting, transferId } = callers[index] as { waiting: Waiting; transferId: string };
            if (!outcome.ok) {
              decided.set(waiting, refusal(outcome.error.code, outcome.error.message, { ...outcome.error.details }));
              return;
            }
            // The balances as this command left them: its own accounts' totals right after it, and
            // the locked-in-plans account, which no transfer command touches.
            const balanceAfter = (userId: string) => {
              const accounts: AccountBalance[] = rows
                .filter((row) => row.userId === userId && row.asset === waiting.request.asset)
                .map((row) => outcome.accounts.get(row.id) ?? row)
                .map((row) => ({ ...row, available: availableOf(row) }));
              return balanceOf(accounts, userId, waiting.request.asset);
            };
            decided.set(waiting, {
              ok: true,
              result: { transferId, from: balanceAfter(waiting.request.fromUserId), to: balanceAfter(waiting.request.toUserId) },
            });
          });

          const responses = [...decided].map(([waiting, stored]) => ({ key: waiting.request.idempotencyKey, response: stored }));
          const [, stored] = await Promise.all([plan?.write(), storeIdempotentResponses(tx, { scope: SCOPE, responses })]);
          return [...decided.keys()].map((waiting) => ({
            waiting,
            stored: stored.get(waiting.request.idempotencyKey) as StoredAnswer<TransferReply>,
          }));
        },
        { isolationLevel: ISOLATION },
      );
      // Late settlement: the answers (if it committed) are stored under the keys, so a command
      // retried after its "unavailable" answer replays them; nothing runs twice.
      transaction.then(
        () => overdue && options.onOverdue?.({ commands: batch.length, settled: 'committed', elapsedMs: Date.now() - startedAt }),
        () => overdue && options.onOverdue?.({ commands: batch.length, settled: 'failed', elapsedMs: Date.now() - startedAt }),
      );
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          overdue = true;
          options.onOverdue?.({ commands: batch.length, elapsedMs: Date.now() - startedAt });
          reject(new BatchOverdue());
        }, deadlineMs);
      });
      settled = await Promise.race([transaction, deadline]);
    } catch (error) {
      if (error instanceof BatchOverdue) {
        const unavailable = new CommandError(
          LedgerCommandErrors.unavailable,
          `the ledger's database did not answer within ${deadlineMs} ms; retry with the same key (the transfer is made at most once)`,
          { retryable: true },
        );
        for (const waiting of batch) waiting.reject(unavailable);
        return;
      }
      // Nothing of the batch committed.
      if (worthRetryingAlone(error)) {
        for (const waiting of batch) options.single(waiting.request).then(waiting.resolve, waiting.reject);
      } else {
        for (const waiting of batch) waiting.reject(error);
      }
      return;
    } finally {
      clearTimeout(timer);
    }
    batchSize?.observe(owners.size);
    for (const { waiting, stored } of settled) {
      try {
        waiting.resolve(answer(stored));
      } catch (refused) {
        waiting.reject(refused);
      }
    }
    for (const waiting of alone) options.single(waiting.request).then(waiting.resolve, waiting.reject);
  }

  // Up to TRANSFER_BATCHES_IN_FLIGHT transactions at once, so one batch is decided in Node while
  // another waits for PostgreSQL. Two batches touching the same account queue on its row lock (each
  // locks its accounts in one statement, in id order), so they cannot deadlock.
  async function drain(): Promise<void> {
    if (draining >= TRANSFER_BATCHES_IN_FLIGHT) return;
    draining += 1;
    try {
      while (queue.length > 0) await runBatch(queue.splice(0, TRANSFER_BATCH_MAX));
    } finally {
      draining -= 1;
    }
  }

  return {
    transfer(request) {
      if (queue.length >= TRANSFER_QUEUE_MAX) {
        return Promise.reject(
          new CommandError(LedgerCommandErrors.unavailable, `the ledger has ${queue.length} transfers waiting; retry shortly`, { retryable: true }),
        );
      }
      return new Promise<TransferReply>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        void drain();
      });
    },
  };
}
