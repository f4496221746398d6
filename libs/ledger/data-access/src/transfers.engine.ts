import { and, asc, desc, eq, inArray, lt, lte, sql, type SQL } from 'drizzle-orm';
import { unionAll } from 'drizzle-orm/pg-core';
import { assertNamespace, balanceChangedV1, eventSubject, transferPostedV1 } from '@strongbox/shared-contracts';
import { AMOUNT_MINOR_MAX, newId } from '@strongbox/shared-domain';
import { enqueueEvents, type DbExecutor, type OutboxMessage } from '@strongbox/shared-db';
import { availableOf, isUserAccountKind } from './accounts.repository';
import { ledgerErrorFromDatabase } from './db-errors';
import { LedgerError, LedgerErrorCodes, LedgerInvariantError } from './errors';
import { accountsTable, TransferKinds, transfersTable, type AccountRow, type TransferRow } from './ledger.schema';
import { isUuid, TRANSFERS_PER_CALL_MAX, validateTransferInputs, type TransferInput, type ValidatedTransfer } from './transfers.validation';

// ---------------------------------------------------------------------------------------------
// The transfer engine. Every function runs inside the caller's transaction: the caller chooses
// the isolation level (read committed is enough, see README.md) and rolls back on any throw.
//
// One call = one linked batch: all of its transfers commit or none does. The order of work is
// fixed so that concurrent calls cannot deadlock and every refusal is precise:
//   1. check the shape of every transfer (no query yet);
//   2. read the transfers the call names (its own ids: reuse is refused; the holds it resolves);
//   3. lock every account it touches with one SELECT … FOR UPDATE in ascending id order;
//   4. under those locks, re-read whether the holds are still unresolved;
//   5. apply the transfers one by one in memory, checking assets, holds and limits;
//   6. write the transfers, the account totals (as deltas) and the outbox events.
// The database's checks and unique indexes stay the last guard behind step 5. Statements that need
// nothing from each other's results are sent together (2 with 3 when no hold is resolved, and the
// writes of 6), so a plain transfer costs two round trips: PostgreSQL runs them in order anyway.
// ---------------------------------------------------------------------------------------------

/** A transfer as committed. */
export type PostedTransfer = TransferRow;

export interface CreateTransfersInput {
  /** The deployment namespace; events go to `<namespace>.ledger.evt.…`. */
  readonly namespace: string;
  /** Linked: all commit or none. At most TRANSFERS_PER_CALL_MAX. */
  readonly transfers: readonly TransferInput[];
  /** The event or request that caused the movement; carried as `Strongbox-Causation-Id` on the events. */
  readonly causationId?: string;
  /** What the ledger treats as the current time (creation time, expiry of holds). Defaults to the clock. */
  readonly now?: Date;
}

/** The four totals of an account. */
interface Totals {
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
}

const ZERO_TOTALS: Readonly<Totals> = { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };

const EVENT_SOURCE = 'strongbox/ledger';
const CAUSATION_HEADER = 'Strongbox-Causation-Id';

/**
 * Creates the given transfers as one linked batch in the caller's transaction, updates the totals of
 * every touched account, and puts one `ledger.evt.transfer.posted.v1` per transfer and one
 * `ledger.evt.balance.changed.v1` per touched user account into the outbox. Throws LedgerError
 * (see LedgerErrorCodes) for every refusal; the caller must then roll back (some statements may have
 * run). Returns the transfers in the order given.
 *
 * @example
 * const [hold] = await database.db.transaction((tx) => createTransfers(tx, { namespace, transfers: [
 *   { id: newId(), debitAccountId: available, creditAccountId: inFlight, amount: 25_000_000n, code: 'withdrawal',
 *     pending: { timeoutAt: new Date(Date.now() + 86_400_000) }, reference: withdrawalId },
 * ] }), { isolationLevel: 'read committed' });
 */
export async function createTransfers(tx: DbExecutor, input: CreateTransfersInput): Promise<PostedTransfer[]> {
  return applyTransfers(tx, input, { skipResolved: false });
}

interface ApplyOptions {
  /** Leave out posts and voids of holds found resolved under the locks, instead of refusing the call (expiry job). */
  readonly skipResolved: boolean;
}

async function applyTransfers(tx: DbExecutor, input: CreateTransfersInput, options: ApplyOptions): Promise<PostedTransfer[]> {
  const now = input.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new LedgerError(LedgerErrorCodes.invalidArgument, 'now must be a valid Date');
  assertNamespace(input.namespace);
  // 1. The shape of every transfer, before any query.
  const validated = validateTransferInputs(input.transfers, now);

  // 2. The transfers the call names: its own ids must be new; the holds it resolves must exist.
  const ownIds = validated.map((transfer) => transfer.id);
  const pendingIds = validated.flatMap((transfer) => ('pendingId' in transfer ? [transfer.pendingId] : []));
  const selectKnown = () =>
    tx
      .select()
      .from(transfersTable)
      .where(inArray(transfersTable.id, [...ownIds, ...pendingIds]));
  // 3 (below). Lock every touched account, in ascending id order, in one statement: two calls
  // touching the same accounts take their locks in the same order, so they queue instead of
  // deadlocking.
  const lockAccounts = (accountIds: ReadonlySet<string>) =>
    tx
      .select()
      .from(accountsTable)
      .where(inArray(accountsTable.id, [...accountIds]))
      .orderBy(asc(accountsTable.id))
      .for('update');
  let known: TransferRow[];
  let locked: AccountRow[] | undefined;
  if (pendingIds.length === 0) {
    // Transfers that resolve no hold name their accounts themselves, so the lock needs nothing from
    // the read: both are sent together and answered in one round trip (the read first). A refusal
    // below then comes with the locks held, which the caller's rollback releases.
    [known, locked] = await Promise.all([selectKnown(), lockAccounts(accountIdsOf(validated, new Map()))]);
  } else {
    known = await selectKnown();
  }
  const knownById = new Map(known.map((row) => [row.id, row]));
  for (const transfer of validated) {
    if (knownById.has(transfer.id)) {
      throw new LedgerError(LedgerErrorCodes.transferExists, `transfer ${transfer.id} exists already; a transfer id is used once`, {
        transferId: transfer.id,
      });
    }
    if ('pendingId' in transfer) {
      const hold = knownById.get(transfer.pendingId);
      if (hold === undefined || hold.kind !== TransferKinds.pending) {
        throw new LedgerError(
          LedgerErrorCodes.pendingNotFound,
          hold === undefined ? `pending transfer ${transfer.pendingId} does not exist` : `transfer ${transfer.pendingId} is not a pending transfer`,
          { transferId: transfer.id, pendingId: transfer.pendingId },
        );
      }
    }
  }

  // 3. The locks, unless they were taken together with the read above.
  locked ??= await lockAccounts(accountIdsOf(validated, knownById));
  const accounts = new Map(locked.map((row) => [row.id, row]));
  for (const transfer of validated) {
    const legs = legsOf(transfer, knownById);
    for (const accountId of [legs.debitAccountId, legs.creditAccountId]) {
      if (!accounts.has(accountId)) {
        throw new LedgerError(LedgerErrorCodes.accountNotFound, `transfer ${transfer.id}: account ${accountId} does not exist`, {
          transferId: transfer.id,
          accountId,
        });
      }
    }
  }

  // 4. Under the locks (every resolution of a hold locks the hold's two accounts), a hold resolved
  // by a call that committed meanwhile is visible now.
  let transfers = validated;
  if (pendingIds.length > 0) {
    const resolutions = await tx
      .select({ id: transfersTable.id, pendingId: transfersTable.pendingId })
      .from(transfersTable)
      .where(inArray(transfersTable.pendingId, pendingIds));
    const resolvedBy = new Map(resolutions.map((row) => [row.pendingId, row.id]));
    if (options.skipResolved) {
      transfers = validated.filter((transfer) => !('pendingId' in transfer && resolvedBy.has(transfer.pendingId)));
    } else {
      for (const transfer of validated) {
        if (!('pendingId' in transfer)) continue;
        const resolution = resolvedBy.get(transfer.pendingId);
        if (resolution !== undefined) {
          throw new LedgerError(
            LedgerErrorCodes.pendingAlreadyResolved,
            `pending transfer ${transfer.pendingId} was resolved already by transfer ${resolution}`,
            { transferId: transfer.id, pendingId: transfer.pendingId, resolvedBy: resolution },
          );
        }
      }
    }
    if (transfers.length === 0) return [];
  }

  // 5. Apply in order, in memory, so each check sees the effect of the transfers before it.
  const batchId = newId();
  const totals = new Map<string, Totals>();
  for (const account of locked) totals.set(account.id, totalsOf(account));
  const rows: TransferRow[] = [];
  for (const transfer of transfers) {
    rows.push(applyOne(transfer, { accounts, totals, knownById, now, batchId }));
  }

  // 6. Write. The transfers, the new totals and the events go to PostgreSQL together and are
  // answered in one round trip, in that order. The events are built from the rows and the totals
  // computed under the locks; the update must reproduce those totals exactly (writeTotals checks
  // it) or the call throws and nothing commits. A constraint violation here means a writer the
  // checks above could not see (or a bug): it is reported as the LedgerError the checks would have
  // raised. The statements after a failed one fail with the aborted transaction; Promise.all
  // rejects with the first to fail, which PostgreSQL answers first.
  const events = buildEvents({
    namespace: input.namespace,
    causationId: input.causationId,
    now,
    inserted: rows,
    accounts: withTotals(accounts, totals),
  });
  try {
    const [inserted] = await Promise.all([
      tx.insert(transfersTable).values(rows).returning().execute(),
      writeTotals(tx, accounts, totals),
      enqueueEvents(tx, events),
    ]);
    const byId = new Map(inserted.map((row) => [row.id, row]));
    return transfers.map((transfer) => byId.get(transfer.id) as PostedTransfer);
  } catch (error) {
    throw ledgerErrorFromDatabase(error) ?? error;
  }
}

// ---------------------------------------------------------------------------------------------
// Several independent calls in one pass (group commit)
// ---------------------------------------------------------------------------------------------

/** Most calls one `planTransferCalls` takes: bounds the lock statement and the write. */
export const TRANSFER_CALLS_PER_PASS_MAX = 256;

/** One call of a pass: its transfers are linked (all or none), independently of the other calls. */
export interface TransferCall {
  /** At most TRANSFERS_PER_CALL_MAX; none may resolve a hold (holds go through createTransfers). */
  readonly transfers: readonly TransferInput[];
  /** Carried as `Strongbox-Causation-Id` on this call's events. */
  readonly causationId?: string;
}

/** What became of one call: its transfers and the accounts they touched (totals after the call), or the refusal. */
export type TransferCallOutcome =
  | { readonly ok: true; readonly transfers: readonly PostedTransfer[]; readonly accounts: ReadonlyMap<string, AccountRow> }
  | { readonly ok: false; readonly error: LedgerError };

/** The decided calls of a pass, not yet written: `write()` sends every write in one round trip. */
export interface PlannedTransferCalls {
  readonly outcomes: readonly TransferCallOutcome[];
  /** Writes the accepted calls' transfers, the account totals and the events; send it with the caller's own statements. */
  write(): Promise<void>;
}

/**
 * Decides several independent calls together, in the caller's transaction: one read of their
 * transfer ids and one lock statement over every account any of them touches (ascending id order,
 * as createTransfers does, so passes and single calls queue instead of deadlocking), then each call
 * applied in memory in the order given — each all-or-nothing, seeing the calls before it — and
 * finally one round trip of writes for all accepted calls (`write()`). A refused call leaves no
 * trace and does not affect the others. This is what lets the ledger commit many commands in one
 * transaction (one commit, a fixed number of round trips) instead of one each.
 *
 * @example
 * const plan = await planTransferCalls(tx, { namespace, calls: requests.map((r) => ({ causationId: r.key, transfers: [r.transfer] })) });
 * await Promise.all([plan.write(), storeAnswers(tx, plan.outcomes)]);
 */
export async function planTransferCalls(
  tx: DbExecutor,
  input: { namespace: string; calls: readonly TransferCall[]; now?: Date },
): Promise<PlannedTransferCalls> {
  const now = input.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new LedgerError(LedgerErrorCodes.invalidArgument, 'now must be a valid Date');
  assertNamespace(input.namespace);
  if (input.calls.length === 0 || input.calls.length > TRANSFER_CALLS_PER_PASS_MAX) {
    throw new LedgerError(LedgerErrorCodes.invalidArgument, `a pass takes 1 to ${TRANSFER_CALLS_PER_PASS_MAX} calls, got ${input.calls.length}`);
  }
  // 1. The shape of each call; a malformed call is refused alone.
  const outcomes: (TransferCallOutcome | undefined)[] = input.calls.map(() => undefined);
  const validatedCalls: (ValidatedTransfer[] | undefined)[] = input.calls.map((call, index) => {
    try {
      const validated = validateTransferInputs(call.transfers, now);
      if (validated.some((transfer) => 'pendingId' in transfer)) {
        throw new LedgerError(LedgerErrorCodes.invalidArgument, 'a call of a pass may not resolve a hold; use createTransfers');
      }
      return validated;
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      outcomes[index] = { ok: false, error };
      return undefined;
    }
  });
  const ownIds = validatedCalls.flatMap((validated) => (validated ?? []).map((transfer) => transfer.id));
  const accountIds = new Set<string>();
  for (const validated of validatedCalls) for (const id of accountIdsOf(validated ?? [], new Map())) accountIds.add(id);

  // 2 and 3 together: the ids already taken, and the locks.
  const [known, locked] =
    ownIds.length === 0
      ? [[], []]
      : await Promise.all([
          tx.select({ id: transfersTable.id }).from(transfersTable).where(inArray(transfersTable.id, ownIds)),
          tx.select().from(accountsTable).where(inArray(accountsTable.id, [...accountIds])).orderBy(asc(accountsTable.id)).for('update'),
        ]);
  const taken = new Set(known.map((row) => row.id));
  const accounts = new Map(locked.map((row) => [row.id, row]));
  const totals = new Map<string, Totals>();
  for (const account of locked) totals.set(account.id, totalsOf(account));

  // 5. Each call in order, in memory; a refusal puts back the totals it changed.
  const batchRows: TransferRow[] = [];
  const events: OutboxMessage[] = [];
  const noHolds = new Map<string, TransferRow>();
  validatedCalls.forEach((validated, index) => {
    if (validated === undefined) return;
    const touched = accountIdsOf(validated, noHolds);
    const saved = new Map([...touched].filter((id) => totals.has(id)).map((id) => [id, { ...(totals.get(id) as Totals) }]));
    try {
      for (const transfer of validated) {
        if (taken.has(transfer.id)) {
          throw new LedgerError(LedgerErrorCodes.transferExists, `transfer ${transfer.id} exists already; a transfer id is used once`, { transferId: transfer.id });
        }
        for (const accountId of [transfer.debitAccountId, transfer.creditAccountId] as string[]) {
          if (!accounts.has(accountId)) {
            throw new LedgerError(LedgerErrorCodes.accountNotFound, `transfer ${transfer.id}: account ${accountId} does not exist`, { transferId: transfer.id, accountId });
          }
        }
      }
      const batchId = newId();
      const rows = validated.map((transfer) => applyOne(transfer, { accounts, totals, knownById: noHolds, now, batchId }));
      for (const row of rows) taken.add(row.id);
      const after = withTotals(new Map([...touched].map((id) => [id, accounts.get(id) as AccountRow])), totals);
      events.push(...buildEvents({ namespace: input.namespace, causationId: input.calls[index]?.causationId, now, inserted: rows, accounts: after }));
      batchRows.push(...rows);
      outcomes[index] = { ok: true, transfers: rows, accounts: after };
    } catch (error) {
      for (const [id, value] of saved) totals.set(id, value);
      if (!(error instanceof LedgerError)) throw error;
      outcomes[index] = { ok: false, error };
    }
  });

  return {
    outcomes: outcomes as TransferCallOutcome[],
    write: async () => {
      if (batchRows.length === 0) return;
      try {
        await Promise.all([tx.insert(transfersTable).values(batchRows).execute(), writeTotals(tx, accounts, totals), enqueueEvents(tx, events)]);
      } catch (error) {
        throw ledgerErrorFromDatabase(error) ?? error;
      }
    },
  };
}

/** The locked accounts with the totals computed for them. */
function withTotals(accounts: ReadonlyMap<string, AccountRow>, totals: ReadonlyMap<string, Totals>): Map<string, AccountRow> {
  const result = new Map<string, AccountRow>();
  for (const [id, account] of accounts) result.set(id, { ...account, ...(totals.get(id) as Totals) });
  return result;
}

/** Every account the transfers debit or credit. */
function accountIdsOf(transfers: readonly ValidatedTransfer[], knownById: ReadonlyMap<string, TransferRow>): Set<string> {
  const accountIds = new Set<string>();
  for (const transfer of transfers) {
    const legs = legsOf(transfer, knownById);
    accountIds.add(legs.debitAccountId);
    accountIds.add(legs.creditAccountId);
  }
  return accountIds;
}

/** The accounts a transfer debits and credits: its own, or the hold's for a post or a void. */
function legsOf(transfer: ValidatedTransfer, knownById: ReadonlyMap<string, TransferRow>): { debitAccountId: string; creditAccountId: string } {
  if (!('pendingId' in transfer)) return { debitAccountId: transfer.debitAccountId, creditAccountId: transfer.creditAccountId };
  const hold = knownById.get(transfer.pendingId) as TransferRow;
  if (transfer.debitAccountId !== null && transfer.debitAccountId !== hold.debitAccountId) {
    throw new LedgerError(
      LedgerErrorCodes.invalidTransfer,
      `transfer ${transfer.id}: debit account ${transfer.debitAccountId} differs from the hold's ${hold.debitAccountId}`,
      { transferId: transfer.id, pendingId: hold.id, debitAccountId: transfer.debitAccountId },
    );
  }
  if (transfer.creditAccountId !== null && transfer.creditAccountId !== hold.creditAccountId) {
    throw new LedgerError(
      LedgerErrorCodes.invalidTransfer,
      `transfer ${transfer.id}: credit account ${transfer.creditAccountId} differs from the hold's ${hold.creditAccountId}`,
      { transferId: transfer.id, pendingId: hold.id, creditAccountId: transfer.creditAccountId },
    );
  }
  return { debitAccountId: hold.debitAccountId, creditAccountId: hold.creditAccountId };
}

function totalsOf(account: AccountRow): Totals {
  return {
    debitsPosted: account.debitsPosted,
    creditsPosted: account.creditsPosted,
    debitsPending: account.debitsPending,
    creditsPending: account.creditsPending,
  };
}

interface ApplyContext {
  readonly accounts: ReadonlyMap<string, AccountRow>;
  readonly totals: Map<string, Totals>;
  readonly knownById: ReadonlyMap<string, TransferRow>;
  readonly now: Date;
  readonly batchId: string;
}

/** Checks one transfer against the running totals, applies it to them, and returns its row (every column set, as it will read back). */
function applyOne(transfer: ValidatedTransfer, context: ApplyContext): TransferRow {
  const { debitAccountId, creditAccountId } = legsOf(transfer, context.knownById);
  const debit = context.accounts.get(debitAccountId) as AccountRow;
  const credit = context.accounts.get(creditAccountId) as AccountRow;
  const debitTotals = context.totals.get(debitAccountId) as Totals;
  const creditTotals = context.totals.get(creditAccountId) as Totals;
  if (debit.asset !== credit.asset) {
    throw new LedgerError(
      LedgerErrorCodes.assetMismatch,
      `transfer ${transfer.id}: debit account ${debit.id} holds ${debit.asset}, credit account ${credit.id} holds ${credit.asset}`,
      { transferId: transfer.id, debitAccountId: debit.id, debitAsset: debit.asset, creditAccountId: credit.id, creditAsset: credit.asset },
    );
  }

  const before = { debit: { ...debitTotals }, credit: { ...creditTotals } };
  let amount: bigint;
  let pendingId: string | null = null;
  switch (transfer.kind) {
    case TransferKinds.single:
      amount = transfer.amount;
      debitTotals.debitsPosted += amount;
      creditTotals.creditsPosted += amount;
      break;
    case TransferKinds.pending:
      amount = transfer.amount;
      debitTotals.debitsPending += amount;
      creditTotals.creditsPending += amount;
      break;
    case TransferKinds.postPending:
    case TransferKinds.voidPending: {
      const hold = context.knownById.get(transfer.pendingId) as TransferRow;
      pendingId = hold.id;
      if (hold.asset !== debit.asset) {
        throw new LedgerError(LedgerErrorCodes.assetMismatch, `transfer ${transfer.id}: the hold ${hold.id} is in ${hold.asset}, its accounts in ${debit.asset}`, {
          transferId: transfer.id,
          pendingId: hold.id,
        });
      }
      if (transfer.kind === TransferKinds.postPending) {
        if (hold.timeoutAt !== null && hold.timeoutAt.getTime() <= context.now.getTime()) {
          throw new LedgerError(
            LedgerErrorCodes.pendingExpired,
            `pending transfer ${hold.id} expired at ${hold.timeoutAt.toISOString()} and can no longer be posted`,
            { transferId: transfer.id, pendingId: hold.id, timeoutAt: hold.timeoutAt.toISOString() },
          );
        }
        amount = transfer.amount === 0n ? hold.amount : transfer.amount;
        if (amount > hold.amount) {
          throw new LedgerError(LedgerErrorCodes.invalidTransfer, `transfer ${transfer.id}: posts ${amount}, more than the ${hold.amount} held`, {
            transferId: transfer.id,
            pendingId: hold.id,
            amount: amount.toString(),
            pendingAmount: hold.amount.toString(),
          });
        }
        debitTotals.debitsPosted += amount;
        creditTotals.creditsPosted += amount;
      } else {
        // A void releases the hold whole; an amount given must say exactly that.
        if (transfer.amount !== 0n && transfer.amount !== hold.amount) {
          throw new LedgerError(LedgerErrorCodes.invalidTransfer, `transfer ${transfer.id}: a void releases the whole ${hold.amount} held, not ${transfer.amount}`, {
            transferId: transfer.id,
            pendingId: hold.id,
            amount: transfer.amount.toString(),
            pendingAmount: hold.amount.toString(),
          });
        }
        amount = hold.amount;
      }
      // Posting or voiding releases everything held; what is not posted returns to the debit account.
      debitTotals.debitsPending -= hold.amount;
      creditTotals.creditsPending -= hold.amount;
      break;
    }
  }

  checkLimits(transfer.id, amount, debit, before.debit, debitTotals);
  checkLimits(transfer.id, amount, credit, before.credit, creditTotals);

  return {
    id: transfer.id,
    debitAccountId,
    creditAccountId,
    amount,
    asset: debit.asset,
    code: transfer.code,
    kind: transfer.kind,
    pending: transfer.kind === TransferKinds.pending,
    pendingId,
    timeoutAt: transfer.kind === TransferKinds.pending ? transfer.timeoutAt : null,
    batchId: context.batchId,
    reference: transfer.reference,
    metadata: transfer.metadata,
    createdAt: context.now,
  };
}

/** Refuses a transfer that would take a limited account over its limit, or a total out of its column's range. */
function checkLimits(transferId: string, amount: bigint, account: AccountRow, before: Totals, after: Totals): void {
  const refuse = (available: bigint): LedgerError =>
    new LedgerError(
      LedgerErrorCodes.insufficientFunds,
      `transfer ${transferId}: account ${account.id} has ${available} available, ${amount} requested`,
      { transferId, accountId: account.id, available: available.toString(), requested: amount.toString() },
    );
  if (account.debitsMustNotExceedCredits && after.debitsPosted + after.debitsPending > after.creditsPosted) {
    throw refuse(before.creditsPosted - before.debitsPosted - before.debitsPending);
  }
  if (account.creditsMustNotExceedDebits && after.creditsPosted + after.creditsPending > after.debitsPosted) {
    throw refuse(before.debitsPosted - before.creditsPosted - before.creditsPending);
  }
  // Totals stay within what an amount may be (38 digits), so every total fits its column with room
  // to spare and can always be published in `balance changed`.
  for (const value of Object.values(after)) {
    if (value > AMOUNT_MINOR_MAX) {
      throw new LedgerError(LedgerErrorCodes.invalidTransfer, `transfer ${transferId}: a total of account ${account.id} would exceed ${AMOUNT_MINOR_MAX}`, {
        transferId,
        accountId: account.id,
      });
    }
  }
}

/**
 * Adds each touched account's change to its totals in one statement (deltas, not absolute values:
 * the database computes the result, and its checks judge it). The result must equal what the
 * engine computed under its locks (and announced in its events); anything else is a broken
 * invariant.
 */
async function writeTotals(tx: DbExecutor, accounts: ReadonlyMap<string, AccountRow>, totals: ReadonlyMap<string, Totals>): Promise<void> {
  const deltas: Array<{ id: string; delta: Totals }> = [];
  const sums = { ...ZERO_TOTALS };
  for (const [id, account] of accounts) {
    const next = totals.get(id) as Totals;
    const delta: Totals = {
      debitsPosted: next.debitsPosted - account.debitsPosted,
      creditsPosted: next.creditsPosted - account.creditsPosted,
      debitsPending: next.debitsPending - account.debitsPending,
      creditsPending: next.creditsPending - account.creditsPending,
    };
    sums.debitsPosted += delta.debitsPosted;
    sums.creditsPosted += delta.creditsPosted;
    sums.debitsPending += delta.debitsPending;
    sums.creditsPending += delta.creditsPending;
    if (delta.debitsPosted !== 0n || delta.creditsPosted !== 0n || delta.debitsPending !== 0n || delta.creditsPending !== 0n) {
      deltas.push({ id, delta });
    }
  }
  // Every transfer debits what it credits, so the changes of one call sum to zero per column pair.
  if (sums.debitsPosted !== sums.creditsPosted || sums.debitsPending !== sums.creditsPending) {
    throw new LedgerInvariantError(`a batch changes debits and credits unequally: ${JSON.stringify(sums, (_key, value: unknown) => String(value))}`);
  }
  if (deltas.length === 0) return;
  const values = sql.join(
    deltas.map(
      ({ id, delta }) =>
        sql`(${id}::uuid, ${delta.debitsPosted.toString()}::numeric, ${delta.creditsPosted.toString()}::numeric, ${delta.debitsPending.toString()}::numeric, ${delta.creditsPending.toString()}::numeric)`,
    ),
    sql`, `,
  );
  const result = await tx.execute(sql`
    update accounts as a set
      debits_posted = a.debits_posted + v.debits_posted,
      credits_posted = a.credits_posted + v.credits_posted,
      debits_pending = a.debits_pending + v.debits_pending,
      credits_pending = a.credits_pending + v.credits_pending
    from (values ${values}) as v (id, debits_posted, credits_posted, debits_pending, credits_pending)
    where a.id = v.id
    returning a.id, a.debits_posted::text, a.credits_posted::text, a.debits_pending::text, a.credits_pending::text`);
  const rows = [...result] as Array<Record<string, string>>;
  if (rows.length !== deltas.length) throw new LedgerInvariantError(`updated ${rows.length} accounts, expected ${deltas.length}`);
  for (const row of rows) {
    const id = row['id'] as string;
    const expected = totals.get(id) as Totals;
    const actual: Totals = {
      debitsPosted: BigInt(row['debits_posted'] as string),
      creditsPosted: BigInt(row['credits_posted'] as string),
      debitsPending: BigInt(row['debits_pending'] as string),
      creditsPending: BigInt(row['credits_pending'] as string),
    };
    if (
      actual.debitsPosted !== expected.debitsPosted ||
      actual.creditsPosted !== expected.creditsPosted ||
      actual.debitsPending !== expected.debitsPending ||
      actual.creditsPending !== expected.creditsPending
    ) {
      // The rows were locked and read in this transaction; a different result means something else
      // wrote them (or the engine is wrong). Never commit that.
      throw new LedgerInvariantError(`account ${id} totals after the update differ from those computed under the lock`);
    }
  }
}

function buildEvents(input: {
  namespace: string;
  causationId: string | undefined;
  now: Date;
  inserted: readonly TransferRow[];
  accounts: ReadonlyMap<string, AccountRow>;
}): OutboxMessage[] {
  const headers = input.causationId === undefined ? undefined : { [CAUSATION_HEADER]: input.causationId };
  const time = input.now;
  const leg = (accountId: string): { accountId: string; kind: AccountRow['kind']; userId: string | null } => {
    const account = input.accounts.get(accountId) as AccountRow;
    return { accountId, kind: account.kind, userId: account.userId };
  };
  const messages: OutboxMessage[] = [];
  const transfersByUserAccount = new Map<string, string[]>();
  for (const transfer of input.inserted) {
    const event = transferPostedV1.create({
      source: EVENT_SOURCE,
      subject: transfer.id,
      time,
      data: {
        transferId: transfer.id,
        batchId: transfer.batchId,
        kind: transfer.kind,
        code: transfer.code,
        asset: transfer.asset,
        amount: transfer.amount.toString(),
        debit: leg(transfer.debitAccountId),
        credit: leg(transfer.creditAccountId),
        pendingId: transfer.pendingId,
        timeoutAt: transfer.timeoutAt === null ? null : transfer.timeoutAt.toISOString(),
        reference: transfer.reference,
        metadata: transfer.metadata,
        postedAt: transfer.createdAt.toISOString(),
      },
    });
    messages.push({ subject: eventSubject(input.namespace, event.type), event, ...(headers === undefined ? {} : { headers }) });
    for (const accountId of [transfer.debitAccountId, transfer.creditAccountId]) {
      if (!isUserAccountKind((input.accounts.get(accountId) as AccountRow).kind)) continue;
      const ids = transfersByUserAccount.get(accountId) ?? [];
      ids.push(transfer.id);
      transfersByUserAccount.set(accountId, ids);
    }
  }
  for (const [accountId, transferIds] of transfersByUserAccount) {
    const account = input.accounts.get(accountId) as AccountRow;
    const event = balanceChangedV1.create({
      source: EVENT_SOURCE,
      subject: account.userId as string,
      time,
      data: {
        accountId,
        userId: account.userId as string,
        asset: account.asset,
        kind: account.kind as 'user_available' | 'user_locked',
        debitsPosted: account.debitsPosted.toString(),
        creditsPosted: account.creditsPosted.toString(),
        debitsPending: account.debitsPending.toString(),
        creditsPending: account.creditsPending.toString(),
        available: availableOf(account).toString(),
        transferIds,
        changedAt: time.toISOString(),
      },
    });
    messages.push({ subject: eventSubject(input.namespace, event.type), event, ...(headers === undefined ? {} : { headers }) });
  }
  return messages;
}

// ---------------------------------------------------------------------------------------------
// Expiry of holds
// ---------------------------------------------------------------------------------------------

/** Most expired holds one `voidExpiredPendingTransfers` call voids (they commit as one batch). */
export const EXPIRED_VOIDS_PER_CALL_MAX = TRANSFERS_PER_CALL_MAX;

/**
 * Voids holds whose `timeoutAt` is at or before `now` and that nobody resolved, at most `limit` of
 * them, oldest timeout first, as one batch with the usual events (`void_pending`, same code and
 * reference as the hold, metadata `{ reason: 'expired' }`). Returns how many it voided; call again
 * while it returns `limit`. Concurrent runs skip each other's holds (SKIP LOCKED), and a hold
 * resolved meanwhile by a caller is left out, so two runs never void one hold twice.
 *
 * @example
 * const voided = await database.db.transaction((tx) => voidExpiredPendingTransfers(tx, { namespace, now: new Date(), limit: 100 }),
 *   { isolationLevel: 'read committed' });
 */
export async function voidExpiredPendingTransfers(tx: DbExecutor, input: { namespace: string; now: Date; limit: number }): Promise<number> {
  if (!(input.now instanceof Date) || Number.isNaN(input.now.getTime())) throw new LedgerError(LedgerErrorCodes.invalidArgument, 'now must be a valid Date');
  if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > EXPIRED_VOIDS_PER_CALL_MAX) {
    throw new LedgerError(LedgerErrorCodes.limit, `limit must be an integer from 1 to ${EXPIRED_VOIDS_PER_CALL_MAX}, got ${input.limit}`);
  }
  assertNamespace(input.namespace);
  // FOR NO KEY UPDATE keeps two expiry runs apart without blocking the FOR KEY SHARE lock a post or
  // a void of the same hold takes through its foreign key (which would invert the lock order).
  const expired = await tx
    .select({ id: transfersTable.id, code: transfersTable.code, reference: transfersTable.reference })
    .from(transfersTable)
    .where(
      and(
        eq(transfersTable.kind, TransferKinds.pending),
        lte(transfersTable.timeoutAt, input.now),
        sql`not exists (select 1 from transfers as r where r.pending_id = ${transfersTable.id})`,
      ),
    )
    .orderBy(asc(transfersTable.timeoutAt), asc(transfersTable.id))
    .limit(input.limit)
    .for('no key update', { skipLocked: true });
  if (expired.length === 0) return 0;
  const voided = await applyTransfers(
    tx,
    {
      namespace: input.namespace,
      now: input.now,
      transfers: expired.map((hold) => ({
        id: newId(),
        voidPendingId: hold.id,
        code: hold.code,
        ...(hold.reference === null ? {} : { reference: hold.reference }),
        metadata: { reason: 'expired' },
      })),
    },
    { skipResolved: true },
  );
  return voided.length;
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/** Largest page `listTransfers` returns. */
export const TRANSFERS_PAGE_MAX = 100;

/** A page of an account's transfers, newest first. */
export interface TransferPage {
  readonly transfers: PostedTransfer[];
  /** Pass as `beforeId` for the next (older) page; null on the last page. */
  readonly nextBeforeId: string | null;
}

/**
 * The transfers that debit or credit `accountId`, newest first (by id: UUIDv7 ids sort by creation
 * time), `limit` at a time (1 to TRANSFERS_PAGE_MAX). Keyset pagination: pass the previous page's
 * `nextBeforeId` as `beforeId`; new transfers never shift later pages.
 */
export async function listTransfers(tx: DbExecutor, accountId: string, page: { limit: number; beforeId?: string }): Promise<TransferPage> {
  if (!isUuid(accountId)) throw new LedgerError(LedgerErrorCodes.invalidArgument, 'accountId must be a lower-case UUID');
  if (page.beforeId !== undefined && !isUuid(page.beforeId)) throw new LedgerError(LedgerErrorCodes.invalidArgument, 'beforeId must be a lower-case UUID');
  if (!Number.isInteger(page.limit) || page.limit < 1) throw new LedgerError(LedgerErrorCodes.invalidArgument, `limit must be a positive integer, got ${page.limit}`);
  if (page.limit > TRANSFERS_PAGE_MAX) throw new LedgerError(LedgerErrorCodes.limit, `limit ${page.limit} exceeds ${TRANSFERS_PAGE_MAX}`);
  const account = await tx.select({ id: accountsTable.id }).from(accountsTable).where(eq(accountsTable.id, accountId));
  if (account.length === 0) throw new LedgerError(LedgerErrorCodes.accountNotFound, `account ${accountId} does not exist`, { accountId });

  // One index range per side (debit, credit), each cut at limit + 1, merged: cheap even for a system
  // account with millions of transfers. A transfer never has the same account on both sides.
  const fetch = page.limit + 1;
  const side = (column: typeof transfersTable.debitAccountId | typeof transfersTable.creditAccountId): SQL | undefined =>
    and(eq(column, accountId), page.beforeId === undefined ? undefined : lt(transfersTable.id, page.beforeId));
  const rows = await unionAll(
    tx.select().from(transfersTable).where(side(transfersTable.debitAccountId)).orderBy(desc(transfersTable.id)).limit(fetch),
    tx.select().from(transfersTable).where(side(transfersTable.creditAccountId)).orderBy(desc(transfersTable.id)).limit(fetch),
  )
    .orderBy(desc(transfersTable.id))
    .limit(fetch);
  const transfers = rows.slice(0, page.limit);
  const last = transfers.at(-1);
  return { transfers, nextBeforeId: rows.length > page.limit && last !== undefined ? last.id : null };
}
