import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { eventSubject, planDepositAccruedV1, planDepositMaturedV1 } from '@strongbox/shared-contracts';
import { enqueueEvents, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { getOrCreateCounter, getOrCreateGauge } from '@strongbox/shared-observability';
import { sleep, superviseLoop, type SupervisedLoop } from '@strongbox/shared-resilience';
import {
  AccountKinds,
  accountsTable,
  createTransfers,
  LedgerInvariantError,
  planAccrualsTable,
  PlanDepositStates,
  planDepositsTable,
  plansTable,
  systemAccountId,
  TransferCodes,
} from '@strongbox/ledger-data-access';
import { addDays, daysBetween, interestForDay, utcDay } from './plans.interest';

// ---------------------------------------------------------------------------------------------
// The daily accrual job of plan deposits. For every open deposit, each UTC day of its term that is
// over gets its interest credited — one transaction per deposit and day: a plan_accruals row plus a
// plan_accrual transfer (plan_interest_expense → user_available) plus the event. Once the term has
// ended and every day is credited, the principal returns (user_locked → user_available, plan_maturity)
// and the deposit is marked matured, again in one transaction.
//
// Exactly once per deposit and day does not depend on the job running alone: each step locks the
// deposit row and the (deposit_id, day) primary key refuses a second row for a day. The job still runs
// as one instance at a time — a PostgreSQL session advisory lock, held on a reserved connection for
// the run and released by PostgreSQL if the process dies — so that two instances do not queue on
// the same rows. (A Redis lock could take this role later; PostgreSQL stays the fallback either way.)
//
// The days of a deposit opened on UTC day D with a term of T days are D, D+1, …, D+T−1; day D+k is
// credited once it is over (from D+k+1 on, UTC). The deposit matures T × 24 h after opening, which
// always falls on day D+T, after its last interest day.
// ---------------------------------------------------------------------------------------------

/** Open deposits read per page while walking them. */
export const PLAN_DEPOSITS_PER_PAGE = 100;
/** Deposit-days one run credits at most; the next run carries on (it starts again at once). */
export const PLAN_DEPOSIT_DAYS_PER_RUN_MAX = 10_000;

const ISOLATION = 'read committed' as const;
const EVENT_SOURCE = 'strongbox/ledger';
const CAUSATION_HEADER = 'Strongbox-Causation-Id';
const LOCK_NAME = 'ledger.plan-accrual';

/** What one step did for one deposit. */
export type AccrualStep = { readonly day: string; readonly amount: bigint; readonly transferId: string | null };

/**
 * Credits the next due day of one deposit, in the caller's transaction: locks the deposit, inserts
 * the day's plan_accruals row and (when the amount is not zero) its transfer and event, and moves
 * `last_accrued_day` on. Returns null when no day is due (deposit matured, all days up to yesterday
 * credited, or the term's days all credited). Concurrent calls for one deposit take turns on its row
 * lock, so the second sees the first's day and credits the next one, or nothing.
 */
export async function accrueNextDay(tx: DbExecutor, input: { namespace: string; depositId: string; now: Date }): Promise<AccrualStep | null> {
  const [deposit] = await tx.select().from(planDepositsTable).where(eq(planDepositsTable.id, input.depositId)).for('update');
  if (!deposit || deposit.state !== PlanDepositStates.open) return null;
  const [plan] = await tx
    .select({ rateBps: plansTable.rateBps, termDays: plansTable.termDays })
    .from(plansTable)
    .where(and(eq(plansTable.code, deposit.planCode), eq(plansTable.version, deposit.planVersion)));
  if (!plan) throw new LedgerInvariantError(`plan deposit ${deposit.id} names ${deposit.planCode} v${deposit.planVersion}, which does not exist`);
  const openedDay = utcDay(deposit.openedAt);
  const lastDay = addDays(openedDay, plan.termDays - 1);
  const day = deposit.lastAccruedDay === null ? openedDay : addDays(deposit.lastAccruedDay, 1);
  const today = utcDay(input.now);
  if (day > lastDay || day >= today) return null;

  const dayNumber = daysBetween(openedDay, day) + 1;
  const amount = interestForDay(deposit.principal, plan.rateBps, dayNumber);
  const causation = `plan-accrual:${deposit.id}:${day}`;
  let transferId: string | null = null;
  if (amount > 0n) {
    transferId = newId();
    await createTransfers(tx, {
      namespace: input.namespace,
      causationId: causation,
      now: input.now,
      transfers: [
        {
          id: transferId,
          debitAccountId: await systemAccountId(tx, deposit.asset, AccountKinds.planInterestExpense),
          creditAccountId: await userAccountId(tx, deposit.userId, deposit.asset),
          amount,
          code: TransferCodes.planAccrual,
          reference: deposit.id,
          metadata: { day, planCode: deposit.planCode, planVersion: String(deposit.planVersion) },
        },
      ],
    });
  }
  const inserted = await tx
    .insert(planAccrualsTable)
    .values({ depositId: deposit.id, day, amount, transferId, createdAt: input.now })
    .onConflictDoNothing()
    .returning({ day: planAccrualsTable.day });
  // Under the deposit's row lock, a row for a day after last_accrued_day cannot exist: if it does,
  // the summary and the rows disagree, and crediting anything now could pay twice.
  if (inserted.length === 0) throw new LedgerInvariantError(`plan deposit ${deposit.id}: day ${day} is credited already but last_accrued_day is ${deposit.lastAccruedDay}`);
  const accruedTotal = deposit.accruedTotal + amount;
  await tx.update(planDepositsTable).set({ accruedTotal, lastAccruedDay: day }).where(eq(planDepositsTable.id, deposit.id));
  if (transferId !== null) {
    const event = planDepositAccruedV1.create({
      source: EVENT_SOURCE,
      subject: deposit.userId,
      time: input.now,
      data: {
        depositId: deposit.id,
        userId: deposit.userId,
        planCode: deposit.planCode,
        planVersion: deposit.planVersion,
        asset: deposit.asset,
        day,
        amount: amount.toString(),
        accruedTotal: accruedTotal.toString(),
        transferId,
        accruedAt: input.now.toISOString(),
      },
    });
    await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event, headers: { [CAUSATION_HEADER]: causation } }]);
  }
  return { day, amount, transferId };
}

/**
 * Matures one deposit in the caller's transaction when its term has ended and every day is credited:
 * moves the principal back (user_locked → user_available, `plan_maturity`), marks it matured and
 * publishes `plan-deposit matured`. Returns false when it is not due (or matured already).
 */
export async function matureIfDue(tx: DbExecutor, input: { namespace: string; depositId: string; now: Date }): Promise<boolean> {
  const [deposit] = await tx.select().from(planDepositsTable).where(eq(planDepositsTable.id, input.depositId)).for('update');
  if (!deposit || deposit.state !== PlanDepositStates.open || deposit.maturesAt.getTime() > input.now.getTime()) return false;
  const [plan] = await tx
    .select({ termDays: plansTable.termDays })
    .from(plansTable)
    .where(and(eq(plansTable.code, deposit.planCode), eq(plansTable.version, deposit.planVersion)));
  if (!plan) throw new LedgerInvariantError(`plan deposit ${deposit.id} names ${deposit.planCode} v${deposit.planVersion}, which does not exist`);
  // Interest first: the principal returns only after the last day is paid.
  if (deposit.lastAccruedDay !== addDays(utcDay(deposit.openedAt), plan.termDays - 1)) return false;
  const transferId = newId();
  const causation = `plan-maturity:${deposit.id}`;
  const available = await userAccountId(tx, deposit.userId, deposit.asset);
  const locked = await userAccountId(tx, deposit.userId, deposit.asset, AccountKinds.userLocked);
  await createTransfers(tx, {
    namespace: input.namespace,
    causationId: causation,
    now: input.now,
    transfers: [
      {
        id: transferId,
        debitAccountId: locked,
        creditAccountId: available,
        amount: deposit.principal,
        code: TransferCodes.planMaturity,
        reference: deposit.id,
        metadata: { planCode: deposit.planCode, planVersion: String(deposit.planVersion) },
      },
    ],
  });
  await tx
    .update(planDepositsTable)
    .set({ state: PlanDepositStates.matured, maturedAt: input.now, maturityTransferId: transferId })
    .where(eq(planDepositsTable.id, deposit.id));
  const event = planDepositMaturedV1.create({
    source: EVENT_SOURCE,
    subject: deposit.userId,
    time: input.now,
    data: {
      depositId: deposit.id,
      userId: deposit.userId,
      planCode: deposit.planCode,
      planVersion: deposit.planVersion,
      asset: deposit.asset,
      principal: deposit.principal.toString(),
      accruedTotal: deposit.accruedTotal.toString(),
      transferId,
      maturedAt: input.now.toISOString(),
    },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event, headers: { [CAUSATION_HEADER]: causation } }]);
  return true;
}

async function userAccountId(tx: DbExecutor, userId: string, asset: string, kind: typeof AccountKinds.userAvailable | typeof AccountKinds.userLocked = AccountKinds.userAvailable): Promise<string> {
  const [account] = await tx
    .select({ id: accountsTable.id })
    .from(accountsTable)
    .where(and(eq(accountsTable.userId, userId), eq(accountsTable.asset, asset), eq(accountsTable.kind, kind)));
  if (!account) throw new LedgerInvariantError(`user ${userId} has a plan deposit in ${asset} but no ${kind} account`);
  return account.id;
}

/** What one run did. */
export interface PlanAccrualRun {
  /** False when another instance held the lock: this run did nothing. */
  readonly ran: boolean;
  /** Deposit-days credited (days whose interest rounded to zero included). */
  readonly daysAccrued: number;
  /** Interest credited, in minor units, over all assets. */
  readonly interestMinor: bigint;
  readonly matured: number;
  /** False when the run stopped at its day budget or was aborted: work is left for the next run. */
  readonly complete: boolean;
}

export interface RunPlanAccrualOptions {
  readonly database: DatabaseHandle;
  readonly namespace: string;
  /** The ledger's current time: days before its UTC day are due, deposits past `matures_at` mature. */
  readonly now: Date;
  /** Deposit-days credited at most in this run; default PLAN_DEPOSIT_DAYS_PER_RUN_MAX. */
  readonly depositDaysMax?: number;
  readonly signal?: AbortSignal;
}

/**
 * One run of the accrual job: takes the singleton lock (or returns `ran: false` at once), then walks
 * the open deposits that have a day due or have reached maturity, oldest id first, and credits and
 * matures them, one transaction per deposit-day.
 *
 * @example
 * const run = await runPlanAccrual({ database, namespace, now: new Date() });
 * if (run.ran && !run.complete) // more is due: run again
 */
export async function runPlanAccrual(options: RunPlanAccrualOptions): Promise<PlanAccrualRun> {
  const budget = options.depositDaysMax ?? PLAN_DEPOSIT_DAYS_PER_RUN_MAX;
  if (!Number.isSafeInteger(budget) || budget < 1) throw new RangeError(`depositDaysMax must be a positive integer, got ${budget}`);
  const lockKey = `${options.database.schema}:${LOCK_NAME}`;
  const connection = await options.database.sql.reserve();
  try {
    const [row] = await connection<Array<{ locked: boolean }>>`select pg_try_advisory_lock(hashtextextended(${lockKey}, 0)) as locked`;
    if (!row?.locked) return { ran: false, daysAccrued: 0, interestMinor: 0n, matured: 0, complete: true };
    try {
      return await accrueAll(options, budget);
    } finally {
      await connection`select pg_advisory_unlock(hashtextextended(${lockKey}, 0))`;
    }
  } finally {
    connection.release();
  }
}

async function accrueAll(options: RunPlanAccrualOptions, budget: number): Promise<PlanAccrualRun> {
  const { database, namespace, now, signal } = options;
  const yesterday = addDays(utcDay(now), -1);
  let daysAccrued = 0;
  let interestMinor = 0n;
  let matured = 0;
  let afterId: string | null = null;
  for (;;) {
    // Open deposits with a day due (the day after the last credited one is at most yesterday and
    // within the term) or past maturity. The term's last day is the day before matures_at's day.
    const page: Array<{ id: string }> = await database.db.transaction(
      (tx) =>
        tx
          .select({ id: planDepositsTable.id })
          .from(planDepositsTable)
          .where(
            and(
              eq(planDepositsTable.state, PlanDepositStates.open),
              afterId === null ? undefined : gt(planDepositsTable.id, afterId),
              sql`(${planDepositsTable.maturesAt} <= ${now.toISOString()}::timestamptz
                or coalesce(${planDepositsTable.lastAccruedDay}, (${planDepositsTable.openedAt} at time zone 'UTC')::date - 1)
                  < least(${yesterday}::date, (${planDepositsTable.maturesAt} at time zone 'UTC')::date - 1))`,
            ),
          )
          .orderBy(asc(planDepositsTable.id))
          .limit(PLAN_DEPOSITS_PER_PAGE),
      { isolationLevel: ISOLATION },
    );
    for (const { id } of page) {
      for (;;) {
        if (daysAccrued >= budget || signal?.aborted) return { ran: true, daysAccrued, interestMinor, matured, complete: false };
        const step = await database.db.transaction((tx) => accrueNextDay(tx, { namespace, depositId: id, now }), { isolationLevel: ISOLATION });
        if (step === null) break;
        daysAccrued += 1;
        interestMinor += step.amount;
      }
      if (await database.db.transaction((tx) => matureIfDue(tx, { namespace, depositId: id, now }), { isolationLevel: ISOLATION })) matured += 1;
    }
    const last = page.at(-1);
    if (page.length < PLAN_DEPOSITS_PER_PAGE || last === undefined) return { ran: true, daysAccrued, interestMinor, matured, complete: true };
    afterId = last.id;
  }
}

// ---------------------------------------------------------------------------------------------
// The supervised loop
// ---------------------------------------------------------------------------------------------

export interface PlanAccrualJob {
  /** Runs once now (also used by tests and the ops tooling). */
  runOnce(): Promise<PlanAccrualRun>;
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Starts the accrual job: a run every `intervalMs` (at once again while a run leaves work behind),
 * restarted with back-off after a failure. Exports `ledger_plan_accrual_days_total`,
 * `ledger_plan_deposits_matured_total` and `ledger_plan_accrual_last_success_timestamp_seconds`.
 */
export function startPlanAccrualJob(options: {
  database: DatabaseHandle;
  namespace: string;
  logger: Logger;
  registry: Registry;
  intervalMs: number;
  now?: () => Date;
}): PlanAccrualJob {
  const { database, namespace, logger, registry } = options;
  const now = options.now ?? (() => new Date());
  const days = getOrCreateCounter(registry, { name: 'ledger_plan_accrual_days_total', help: 'Plan deposit-days whose interest the accrual job credited.' });
  const maturities = getOrCreateCounter(registry, { name: 'ledger_plan_deposits_matured_total', help: 'Plan deposits matured (principal returned).' });
  const lastRun = getOrCreateGauge(registry, {
    name: 'ledger_plan_accrual_last_success_timestamp_seconds',
    help: 'When a run of the plan accrual job last completed on this instance (whether or not it held the lock).',
  });

  async function runOnce(signal?: AbortSignal): Promise<PlanAccrualRun> {
    const run = await runPlanAccrual({ database, namespace, now: now(), ...(signal === undefined ? {} : { signal }) });
    days.inc(run.daysAccrued);
    maturities.inc(run.matured);
    lastRun.set(Date.now() / 1_000);
    if (run.daysAccrued + run.matured > 0) {
      logger.info({ daysAccrued: run.daysAccrued, interestMinor: run.interestMinor.toString(), matured: run.matured, complete: run.complete }, 'plan interest credited');
    }
    return run;
  }

  const loop: SupervisedLoop = superviseLoop({
    name: 'ledger-plan-accrual',
    logger,
    registry,
    delayMsInitial: 1_000,
    delayMsMax: 60_000,
    consecutiveErrorsAlert: 5,
    run: async (signal) => {
      while (!signal.aborted) {
        const run = await runOnce(signal);
        if (run.complete) await sleep(options.intervalMs, signal);
      }
    },
  });

  return {
    runOnce: () => runOnce(),
    stop: (timeoutMs) => loop.stop(timeoutMs),
  };
}
