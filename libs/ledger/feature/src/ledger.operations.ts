import { and, count, eq, gt, inArray, isNull, max, sql, sum } from 'drizzle-orm';
import type { z } from 'zod';
import {
  eventSubject,
  type CloudEvent,
  withdrawalApprovedV1,
  withdrawalCancelledV1,
  withdrawalRejectedV1,
  withdrawalRequestedV1,
  type approveWithdrawalV1,
  type rejectWithdrawalV1,
  type cancelWithdrawalV1,
  type getBalanceV1,
  type getWithdrawalTermsV1,
  type listHistoryV1,
  type manualAdjustmentV1,
  type openAccountV1,
  type requestWithdrawalV1,
  type transferV1,
  LedgerCommandErrors,
} from '@strongbox/shared-contracts';
import { enqueueEvents, executeIdempotent, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import {
  AccountKinds,
  accountsTable,
  createTransfers,
  depositsTable,
  getUserAccounts,
  LedgerErrorCodes,
  listTransfers,
  openUserAccounts,
  systemAccountId,
  TransferCodes,
  TransferKinds,
  WITHDRAWAL_STATES_COUNTING,
  WithdrawalStates,
  withdrawalsTable,
  type TransferInput,
  type WithdrawalRow,
  type WithdrawalState,
} from '@strongbox/ledger-data-access';
import { createAvailableAccountIds } from './account-ids.cache';
import { isBlacklisted } from './blacklist.operations';
import { answer, asCommandError, balanceOf, decide, idempotencyError, Refusal } from './command.decisions';
import { checkWithdrawalLimits, reviewReasons, type FraudRules, type WithdrawalLimits } from './withdrawal.policy';
import { withdrawalMachine } from './withdrawal.machine';

// ---------------------------------------------------------------------------------------------
// The ledger's commands as operations on its database. Each money command runs once per
// idempotency key: its effects, its events (outbox) and its answer commit in one transaction, and
// a business refusal is stored as the answer too, so a retry gets the same refusal.
// ---------------------------------------------------------------------------------------------

type Wire<C extends { response: z.ZodType }> = z.input<C['response']>;
type Request<C extends { request: z.ZodType }> = z.output<C['request']>;

export interface LedgerOperationsOptions {
  readonly database: DatabaseHandle;
  readonly namespace: string;
  /** Assets every user gets accounts in. */
  readonly assets: readonly string[];
  readonly withdrawalLimits: WithdrawalLimits;
  readonly fraudRules: FraudRules;
  /** The clock; tests pass a fixed one. */
  readonly now?: () => Date;
}

const ISOLATION = 'read committed' as const;
const EVENT_SOURCE = 'strongbox/ledger';
const DAY_MS = 24 * 60 * 60 * 1_000;
const HOUR_MS = 60 * 60 * 1_000;

async function balance(tx: DbExecutor, userId: string, asset: string): Promise<Wire<typeof getBalanceV1>> {
  return balanceOf(await getUserAccounts(tx, userId, asset), userId, asset);
}

/** Locks the user's available account (and so serialises that user's withdrawals) and returns its id. */
async function lockAvailableAccount(tx: DbExecutor, userId: string, asset: string): Promise<string> {
  const [row] = await tx
    .select({ id: accountsTable.id })
    .from(accountsTable)
    .where(and(eq(accountsTable.userId, userId), eq(accountsTable.asset, asset), eq(accountsTable.kind, AccountKinds.userAvailable)))
    .for('update');
  if (!row) throw new Refusal(LedgerErrorCodes.accountNotFound, `user ${userId} has no ${asset} account`, { userId, asset });
  return row.id;
}

function withdrawalWire(row: WithdrawalRow): z.input<typeof requestWithdrawalV1.response>['withdrawal'] {
  return {
    withdrawalId: row.id,
    userId: row.userId,
    asset: row.asset,
    amount: row.amount.toString(),
    fee: row.fee.toString(),
    toAddress: row.toAddress,
    state: row.state,
    reason: row.reason,
    createdAt: row.createdAt.toISOString(),
  };
}

/** The ledger's command operations; the service wires each to its command route. */
export function createLedgerOperations(options: LedgerOperationsOptions) {
  const { database, namespace } = options;
  const availableAccountIds = createAvailableAccountIds();
  const now = options.now ?? (() => new Date());
  /**
   * Runs a money command once per idempotency key: effects, events and answer commit together, a
   * refusal is remembered as the answer, and a retry with the same key gets the first answer.
   */
  const once = async <T>(scope: string, request: { idempotencyKey: string }, work: (tx: DbExecutor) => Promise<T>): Promise<T> => {
    const { response } = await executeIdempotent(database, { scope, key: request.idempotencyKey, request, isolationLevel: ISOLATION }, (tx) =>
      decide(tx, () => work(tx)),
    ).catch(idempotencyError);
    return answer(response);
  };
  /** Puts an event into the outbox, in the transaction of the change it reports. */
  const publish = (tx: DbExecutor, event: CloudEvent, causationId: string): Promise<void> =>
    enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event, headers: { 'Strongbox-Causation-Id': causationId } }]);

  return {
    async openAccount(request: Request<typeof openAccountV1>): Promise<Wire<typeof openAccountV1>> {
      const assets = request.assets ?? options.assets;
      return database.db
        .transaction(
          async (tx) => {
            await openUserAccounts(tx, { namespace, userId: request.userId, assets, causationId: `open-account:${request.userId}` });
            const accounts = await getUserAccounts(tx, request.userId);
            return { accounts: accounts.filter((account) => assets.includes(account.asset)).map((a) => ({ accountId: a.id, asset: a.asset, kind: a.kind })) };
          },
          { isolationLevel: ISOLATION },
        )
        .catch(asCommandError);
    },

    async getBalance(request: Request<typeof getBalanceV1>): Promise<Wire<typeof getBalanceV1>> {
      return database.db
        .transaction(async (tx) => answer(await decide(tx, () => balance(tx, request.userId, request.asset))), { isolationLevel: ISOLATION })
        .catch(asCommandError);
    },

    async getWithdrawalTerms(request: Request<typeof getWithdrawalTermsV1>): Promise<Wire<typeof getWithdrawalTermsV1>> {
      return database.db
        .transaction(
          async (tx) =>
            answer(
              await decide(tx, async () => {
                const current = await balance(tx, request.userId, request.asset);
                const facts = await withdrawalFacts(tx, request.userId, TERMS_PROBE_ADDRESS, now());
                return {
                  asset: request.asset,
                  fee: options.withdrawalLimits.feeMinor.toString(),
                  min: options.withdrawalLimits.minMinor.toString(),
                  max: options.withdrawalLimits.maxMinor.toString(),
                  dailyMax: options.withdrawalLimits.dailyMaxMinor.toString(),
                  usedLast24h: facts.withdrawnLast24hMinor.toString(),
                  available: current.available,
                };
              }),
            ),
          { isolationLevel: ISOLATION },
        )
        .catch(asCommandError);
    },

    async listHistory(request: Request<typeof listHistoryV1>): Promise<Wire<typeof listHistoryV1>> {
      return database.db
        .transaction(
          async (tx) =>
            answer(
              await decide(tx, async () => {
                const { accountId } = await balance(tx, request.userId, request.asset);
                const page = await listTransfers(tx, accountId, { limit: request.limit, ...(request.cursor ? { beforeId: request.cursor } : {}) });
                return {
                  items: page.transfers.map((transfer) => ({
                    transferId: transfer.id,
                    code: transfer.code,
                    direction: transfer.creditAccountId === accountId ? ('in' as const) : ('out' as const),
                    amount: transfer.amount.toString(),
                    state:
                      transfer.kind === TransferKinds.pending ? ('pending' as const) : transfer.kind === TransferKinds.voidPending ? ('voided' as const) : ('posted' as const),
                    reference: transfer.reference,
                    createdAt: transfer.createdAt.toISOString(),
                  })),
                  nextCursor: page.nextBeforeId,
                };
              }),
            ),
          { isolationLevel: ISOLATION },
        )
        .catch(asCommandError);
    },

    async transfer(request: Request<typeof transferV1>): Promise<Wire<typeof transferV1>> {
      return once('ledger.transfer', request, async (tx) => {
        if (request.fromUserId === request.toUserId) {
          throw new Refusal(LedgerErrorCodes.invalidTransfer, 'a transfer needs two different users');
        }
        // The account ids come from memory once known (they never change), so the engine's lock
        // is the first statement; each pair of balance reads is sent together (one round trip).
        let fromAccountId = availableAccountIds.get(request.fromUserId, request.asset);
        let toAccountId = availableAccountIds.get(request.toUserId, request.asset);
        if (fromAccountId === undefined || toAccountId === undefined) {
          const [from, to] = await Promise.all([balance(tx, request.fromUserId, request.asset), balance(tx, request.toUserId, request.asset)]);
          fromAccountId = from.accountId;
          toAccountId = to.accountId;
          availableAccountIds.remember(request.fromUserId, request.asset, fromAccountId);
          availableAccountIds.remember(request.toUserId, request.asset, toAccountId);
        }
        const transferId = newId();
        await createTransfers(tx, {
          namespace,
          causationId: request.idempotencyKey,
          transfers: [
            {
              id: transferId,
              debitAccountId: fromAccountId,
              creditAccountId: toAccountId,
              amount: BigInt(request.amount),
              code: TransferCodes.internalTransfer,
              ...(request.note ? { metadata: { note: request.note } } : {}),
            },
          ],
        });
        const [fromAfter, toAfter] = await Promise.all([balance(tx, request.fromUserId, request.asset), balance(tx, request.toUserId, request.asset)]);
        return { transferId, from: fromAfter, to: toAfter };
      });
    },

    async manualAdjustment(request: Request<typeof manualAdjustmentV1>): Promise<Wire<typeof manualAdjustmentV1>> {
      return once('ledger.manual-adjustment', request, async (tx) => {
        const user = await balance(tx, request.userId, request.asset);
        const adjustments = await systemAccountId(tx, request.asset, AccountKinds.manualAdjustments);
        const transferId = newId();
        const credit = request.direction === 'credit';
        await createTransfers(tx, {
          namespace,
          causationId: request.idempotencyKey,
          transfers: [
            {
              id: transferId,
              debitAccountId: credit ? adjustments : user.accountId,
              creditAccountId: credit ? user.accountId : adjustments,
              amount: BigInt(request.amount),
              code: TransferCodes.manualAdjustment,
              metadata: { adminId: request.adminId, reason: request.reason },
            },
          ],
        });
        return { transferId, balance: await balance(tx, request.userId, request.asset) };
      });
    },

    async requestWithdrawal(request: Request<typeof requestWithdrawalV1>): Promise<Wire<typeof requestWithdrawalV1>> {
      return once('ledger.request-withdrawal', request, async (tx) => {
        const at = now();
        const amount = BigInt(request.amount);
        const fee = options.withdrawalLimits.feeMinor;
        // The lock makes this user's withdrawals take turns, so the facts below (the 24 h sum,
        // the count of the last hour) cannot change before this one is recorded.
        const accountId = await lockAvailableAccount(tx, request.userId, request.asset);
        const facts = await withdrawalFacts(tx, request.userId, request.toAddress, at);
        const limit = checkWithdrawalLimits(amount, options.withdrawalLimits, facts);
        if (!limit.ok) {
          throw new Refusal(LedgerCommandErrors.withdrawalLimit, limit.message, { limit: limit.reason, limitMinor: limit.limitMinor.toString() });
        }
        const reasons = reviewReasons(facts, options.fraudRules, at);
        const state = reasons.length > 0 ? WithdrawalStates.awaitingApproval : WithdrawalStates.held;
        const withdrawalId = newId();
        const holdTransferId = newId();
        const feeHoldTransferId = fee > 0n ? newId() : null;
        const holds: TransferInput[] = [
          {
            id: holdTransferId,
            debitAccountId: accountId,
            creditAccountId: await systemAccountId(tx, request.asset, AccountKinds.withdrawalsInFlight),
            amount,
            code: TransferCodes.withdrawal,
            pending: {},
            reference: withdrawalId,
          },
        ];
        if (feeHoldTransferId) {
          holds.push({
            id: feeHoldTransferId,
            debitAccountId: accountId,
            creditAccountId: await systemAccountId(tx, request.asset, AccountKinds.fees),
            amount: fee,
            code: TransferCodes.withdrawalFee,
            pending: {},
            reference: withdrawalId,
          });
        }
        await createTransfers(tx, { namespace, causationId: request.idempotencyKey, transfers: holds, now: at });
        const [row] = await tx
          .insert(withdrawalsTable)
          .values({
            id: withdrawalId,
            userId: request.userId,
            asset: request.asset,
            amount,
            fee,
            toAddress: request.toAddress,
            state,
            reason: reasons.length > 0 ? reasons.join(',') : null,
            holdTransferId,
            feeHoldTransferId,
            createdAt: at,
            updatedAt: at,
          })
          .returning();
        const event = withdrawalRequestedV1.create({
          source: EVENT_SOURCE,
          subject: request.userId,
          time: at,
          data: {
            withdrawalId,
            userId: request.userId,
            asset: request.asset,
            amount: amount.toString(),
            fee: fee.toString(),
            toAddress: request.toAddress,
            state,
            reviewReasons: reasons,
            requestedAt: at.toISOString(),
          },
        });
        await publish(tx, event, request.idempotencyKey);
        if (!row) throw new Error('insert into withdrawals returned no row');
        return { withdrawal: withdrawalWire(row), balance: await balance(tx, request.userId, request.asset) };
      });
    },

    async cancelWithdrawal(request: Request<typeof cancelWithdrawalV1>): Promise<Wire<typeof cancelWithdrawalV1>> {
      return once('ledger.cancel-withdrawal', request, async (tx) => {
        const at = now();
        const [row] = await tx.select().from(withdrawalsTable).where(eq(withdrawalsTable.id, request.withdrawalId)).for('update');
        // Another user's withdrawal is reported as missing: its existence is not theirs to learn.
        if (!row || row.userId !== request.userId) {
          throw new Refusal(LedgerCommandErrors.withdrawalNotFound, `withdrawal ${request.withdrawalId} not found`, { withdrawalId: request.withdrawalId });
        }
        if (!withdrawalMachine.canTransition(row.state, WithdrawalStates.cancelled)) {
          throw new Refusal(LedgerCommandErrors.invalidWithdrawalState, `a withdrawal in state ${row.state} can no longer be cancelled`, {
            withdrawalId: row.id,
            state: row.state,
          });
        }
        await releaseHolds(tx, namespace, row, request.idempotencyKey, at);
        const updated = await setWithdrawalState(tx, row.id, WithdrawalStates.cancelled, row.reason, at);
        const event = withdrawalCancelledV1.create({
          source: EVENT_SOURCE,
          subject: row.userId,
          time: at,
          data: { ...withdrawalEventFields(row), cancelledAt: at.toISOString() },
        });
        await publish(tx, event, request.idempotencyKey);
        return { withdrawal: withdrawalWire(updated), balance: await balance(tx, row.userId, row.asset) };
      });
    },

    async approveWithdrawal(request: Request<typeof approveWithdrawalV1>): Promise<Wire<typeof approveWithdrawalV1>> {
      return once('ledger.approve-withdrawal', request, async (tx) => {
        const at = now();
        const row = await lockWithdrawal(tx, request.withdrawalId);
        withdrawalTransition(row, WithdrawalStates.approved);
        const updated = await setWithdrawalState(tx, row.id, WithdrawalStates.approved, row.reason, at);
        const event = withdrawalApprovedV1.create({
          source: EVENT_SOURCE,
          subject: row.userId,
          time: at,
          data: { ...withdrawalEventFields(row), approvedBy: request.adminId, approvedAt: at.toISOString() },
        });
        await publish(tx, event, request.idempotencyKey);
        return { withdrawal: withdrawalWire(updated) };
      });
    },

    async rejectWithdrawal(request: Request<typeof rejectWithdrawalV1>): Promise<Wire<typeof rejectWithdrawalV1>> {
      return once('ledger.reject-withdrawal', request, async (tx) => {
        const at = now();
        const row = await lockWithdrawal(tx, request.withdrawalId);
        withdrawalTransition(row, WithdrawalStates.rejected);
        await releaseHolds(tx, namespace, row, request.idempotencyKey, at);
        const updated = await setWithdrawalState(tx, row.id, WithdrawalStates.rejected, request.reason, at);
        const event = withdrawalRejectedV1.create({
          source: EVENT_SOURCE,
          subject: row.userId,
          time: at,
          data: { ...withdrawalEventFields(row), rejectedBy: request.adminId, reason: request.reason, rejectedAt: at.toISOString() },
        });
        await publish(tx, event, request.idempotencyKey);
        return { withdrawal: withdrawalWire(updated), balance: await balance(tx, row.userId, row.asset) };
      });
    },
  };
}

export type LedgerOperations = ReturnType<typeof createLedgerOperations>;

/** Locks a withdrawal for a state change; an unknown id is a refusal. */
async function lockWithdrawal(tx: DbExecutor, withdrawalId: string): Promise<WithdrawalRow> {
  const [row] = await tx.select().from(withdrawalsTable).where(eq(withdrawalsTable.id, withdrawalId)).for('update');
  if (!row) throw new Refusal(LedgerCommandErrors.withdrawalNotFound, `withdrawal ${withdrawalId} not found`, { withdrawalId });
  return row;
}

/** Refuses a transition the withdrawal state machine does not declare. */
function withdrawalTransition(row: WithdrawalRow, to: WithdrawalState): void {
  if (!withdrawalMachine.canTransition(row.state, to)) {
    throw new Refusal(LedgerCommandErrors.invalidWithdrawalState, `a withdrawal in state ${row.state} cannot become ${to}`, { withdrawalId: row.id, state: row.state });
  }
}

async function setWithdrawalState(tx: DbExecutor, id: string, state: WithdrawalState, reason: string | null, at: Date): Promise<WithdrawalRow> {
  const [updated] = await tx.update(withdrawalsTable).set({ state, reason, updatedAt: at }).where(eq(withdrawalsTable.id, id)).returning();
  if (!updated) throw new Error(`withdrawal ${id} vanished while locked`);
  return updated;
}

/** Voids the holds of a withdrawal (amount and fee) in one linked call. */
export async function releaseHolds(tx: DbExecutor, namespace: string, row: WithdrawalRow, causationId: string, at: Date): Promise<void> {
  const voids: TransferInput[] = [{ id: newId(), voidPendingId: row.holdTransferId, code: TransferCodes.withdrawal, reference: row.id }];
  if (row.feeHoldTransferId) voids.push({ id: newId(), voidPendingId: row.feeHoldTransferId, code: TransferCodes.withdrawalFee, reference: row.id });
  await createTransfers(tx, { namespace, causationId, transfers: voids, now: at });
}

/** The fields every withdrawal event of the ledger carries. */
export function withdrawalEventFields(row: WithdrawalRow) {
  return { withdrawalId: row.id, userId: row.userId, asset: row.asset, amount: row.amount.toString(), fee: row.fee.toString(), toAddress: row.toAddress };
}

/** Address the terms read passes to withdrawalFacts; only the 24 h total is used from that read. */
const TERMS_PROBE_ADDRESS = '0x0000000000000000000000000000000000000000';

/** What the withdrawal policy needs to know about the user, read under the user's account lock. */
async function withdrawalFacts(tx: DbExecutor, userId: string, toAddress: string, at: Date) {
  // The hour bound goes through gt() on the column, so drizzle encodes the Date as the column does:
  // a bare Date interpolated into sql`` reaches the driver unencoded and the query fails.
  const [recent] = await tx
    .select({ total: sum(withdrawalsTable.amount), lastHour: count(sql`case when ${gt(withdrawalsTable.createdAt, new Date(at.getTime() - HOUR_MS))} then 1 end`) })
    .from(withdrawalsTable)
    .where(
      and(
        eq(withdrawalsTable.userId, userId),
        gt(withdrawalsTable.createdAt, new Date(at.getTime() - DAY_MS)),
        inArray(withdrawalsTable.state, [...WITHDRAWAL_STATES_COUNTING]),
      ),
    );
  const [usedAddress] = await tx
    .select({ id: withdrawalsTable.id })
    .from(withdrawalsTable)
    .where(
      and(
        eq(withdrawalsTable.userId, userId),
        eq(sql`lower(${withdrawalsTable.toAddress})`, toAddress.toLowerCase()),
        eq(withdrawalsTable.state, WithdrawalStates.completed),
      ),
    )
    .limit(1);
  const [deposit] = await tx
    .select({ last: max(depositsTable.creditedAt) })
    .from(depositsTable)
    .where(and(eq(depositsTable.userId, userId), isNull(depositsTable.revertedAt)));
  return {
    withdrawnLast24hMinor: BigInt(recent?.total ?? '0'),
    withdrawalsLastHour: Number(recent?.lastHour ?? 0),
    addressUsedBefore: usedAddress !== undefined,
    lastDepositAt: deposit?.last ?? null,
    userBlacklisted: await isBlacklisted(tx, userId),
  };
}
