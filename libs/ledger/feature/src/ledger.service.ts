import type { z } from 'zod';
import {
  type CloudEvent,
  type EventDefinition,
  approveWithdrawalV1,
  blacklistUserV1,
  cancelWithdrawalV1,
  chainWithdrawalBroadcastV1,
  chainWithdrawalConfirmedV1,
  chainWithdrawalFailedV1,
  depositConfirmedV1,
  depositRevertedV1,
  disablePlanV1,
  getBalanceV1,
  getReferralStatsV1,
  getWithdrawalTermsV1,
  LedgerCommandErrors,
  listHistoryV1,
  listPlanDepositsV1,
  listPlansV1,
  manualAdjustmentV1,
  openAccountV1,
  openPlanDepositV1,
  publishPlanV1,
  rejectWithdrawalV1,
  requestWithdrawalV1,
  transferV1,
  userRegisteredV1,
} from '@strongbox/shared-contracts';
import { classifyDbError, DbFailureKinds, type DbExecutor } from '@strongbox/shared-db';
import { CommandError, commandRoute, Flags, serveCommands, watchFlags, type AnyCommandRoute, type Flag, type FlagWatcher } from '@strongbox/shared-messaging';
import { BreakerOpenError, createCircuitBreaker, type Breaker } from '@strongbox/shared-resilience';
import { alertWhenBreakerStaysOpen, consumeEventOnce, startServiceInboxHousekeeping, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { ensureSystemAccounts, ledgerMigrationsFolder, ledgerTables, openUserAccounts } from '@strongbox/ledger-data-access';
import { createBlacklistOperations } from './blacklist.operations';
import { createDepositHandlers } from './deposits.handler';
import { startLedgerJobs } from './ledger.jobs';
import { createLedgerOperations } from './ledger.operations';
import { startPlanAccrualJob } from './plans.accrual';
import { createPlanOperations } from './plans.operations';
import { createTransferBatcher } from './transfer.batcher';
import { createReferrals } from './referrals.handler';
import { createReferralStats } from './referral-stats.operations';
import { startWithdrawalAutoApproval } from './withdrawal.auto-approval';
import { createWithdrawalLifecycle } from './withdrawal.lifecycle';

export interface LedgerConfig extends RuntimeConfig {
  /** Assets a user gets an account in, e.g. `['USDT']`. */
  readonly LEDGER_ASSETS: readonly string[];
  readonly LEDGER_WITHDRAWAL_MIN_MINOR: bigint;
  readonly LEDGER_WITHDRAWAL_MAX_MINOR: bigint;
  readonly LEDGER_WITHDRAWAL_DAILY_MAX_MINOR: bigint;
  readonly LEDGER_WITHDRAWAL_FEE_MINOR: bigint;
  readonly LEDGER_FRAUD_VELOCITY_PER_HOUR: number;
  readonly LEDGER_FRAUD_DEPOSIT_COOLING_MS: number;
  readonly LEDGER_RECONCILE_INTERVAL_MS: number;
  /** How often the plan accrual job looks for deposit-days to credit and deposits to mature. */
  readonly LEDGER_PLAN_ACCRUAL_INTERVAL_MS: number;
  /** How long a `held` withdrawal may still be cancelled before the ledger approves it by itself. */
  readonly LEDGER_WITHDRAWAL_COOLING_MS: number;
  /** How often the auto-approval job looks for held withdrawals past their cooling window. */
  readonly LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS: number;
  /** Asset of the referral reward; one of LEDGER_ASSETS. */
  readonly LEDGER_REFERRAL_REWARD_ASSET: string;
  /** Referral reward in minor units; 0 pays none. */
  readonly LEDGER_REFERRAL_REWARD_MINOR: bigint;
}

/** Failures in a row that open the PostgreSQL breaker, and how long it stays open before a trial. */
const BREAKER_FAILURES = 5;
const BREAKER_HALF_OPEN_AFTER_MS = 5_000;
const COMMAND_STOP_TIMEOUT_MS = 10_000;

/**
 * True for failures that say PostgreSQL itself is unreachable (connection refused or lost, server
 * shutting down, too many connections) — the ones that should open the breaker. A deadlock or a lock
 * timeout is PostgreSQL working, and a business refusal is the ledger working.
 */
function isDatabaseDown(error: unknown): boolean {
  if (classifyDbError(error) !== DbFailureKinds.transient) return false;
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (/^(08|53|57P)/.test(code) || /^(ECONN|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|CONNECT|CONNECTION_)/.test(code)) return true;
  }
  return false;
}

/** Runs a command through the breaker: while PostgreSQL is down, commands fail fast and retryably. */
function guarded<T>(breaker: Breaker, work: () => Promise<T>): Promise<T> {
  return breaker.execute(() => work()).catch((error: unknown) => {
    if (error instanceof BreakerOpenError || isDatabaseDown(error)) {
      throw new CommandError(LedgerCommandErrors.unavailable, 'the ledger is temporarily unavailable; retry later', { retryable: true, cause: error });
    }
    throw error;
  });
}

/**
 * Refuses a command while one of `flags` is on. Checked before the idempotency key is taken, so the
 * refusal is not remembered: the same request succeeds once the flag is off.
 */
function unlessHalted<T>(flags: FlagWatcher, halting: readonly Flag[], work: () => Promise<T>): Promise<T> {
  for (const flag of halting) {
    const value = flags.get(flag);
    if (!value.on) continue;
    const code = flag === Flags.emergencyStop ? LedgerCommandErrors.emergencyStop : LedgerCommandErrors.maintenance;
    const what = flag === Flags.emergencyStop ? 'outgoing money movements are halted (emergency stop)' : 'withdrawals are paused for maintenance';
    return Promise.reject(new CommandError(code, `${what}${value.reason ? `: ${value.reason}` : ''}; please try again later`, { retryable: true }));
  }
  return work();
}

/**
 * ledger: the double-entry source of truth. Opens accounts when the bot registers a user, credits
 * confirmed chain deposits once, answers the ledger commands over NATS request/reply, and checks its
 * invariants continuously.
 */
export async function startLedger(context: ServiceContext<LedgerConfig>): Promise<void> {
  const { config, namespace, logger, registry } = context;
  if (config.LEDGER_REFERRAL_REWARD_MINOR > 0n && !config.LEDGER_ASSETS.includes(config.LEDGER_REFERRAL_REWARD_ASSET)) {
    throw new Error(`LEDGER_REFERRAL_REWARD_ASSET ${config.LEDGER_REFERRAL_REWARD_ASSET} is not one of LEDGER_ASSETS (${config.LEDGER_ASSETS.join(', ')})`);
  }
  const database = await context.openDatabase({ tables: ledgerTables, migrationsFolder: ledgerMigrationsFolder });
  startServiceInboxHousekeeping(context, database);
  await database.db.transaction((tx) => ensureSystemAccounts(tx, config.LEDGER_ASSETS));

  // Named apart from the runtime's `postgres` check: that one pings, this one says whether commands
  // are being refused fast because PostgreSQL kept failing.
  const breaker = createCircuitBreaker({
    name: 'postgres-commands',
    consecutiveFailures: BREAKER_FAILURES,
    halfOpenAfterMs: BREAKER_HALF_OPEN_AFTER_MS,
    registry,
    isFailure: isDatabaseDown,
  });
  context.readiness.add(breaker.healthCheck(false));
  alertWhenBreakerStaysOpen(breaker, context, { context: 'ledger', service: 'ledger' });

  const referrals = createReferrals({
    namespace,
    schema: database.schema,
    logger: logger.child({ component: 'referrals' }),
    registry,
    reward: { asset: config.LEDGER_REFERRAL_REWARD_ASSET, amountMinor: config.LEDGER_REFERRAL_REWARD_MINOR },
  });

  const consumeOnce = <S extends z.ZodType>(
    event: EventDefinition<S>,
    options: { action: string; description: string },
    handle: (tx: DbExecutor, event: CloudEvent<z.output<S>>) => Promise<unknown>,
  ) => consumeEventOnce(context, database, event, options, handle);

  // Events from other services.
  await consumeOnce(userRegisteredV1, { action: 'open-account', description: 'Opens the accounts of every newly registered user and records who referred them' }, async (tx, event) => {
    await openUserAccounts(tx, { namespace, userId: event.data.userId, assets: config.LEDGER_ASSETS, causationId: event.id });
    await referrals.record(tx, event);
  });

  const deposits = createDepositHandlers({ namespace, logger: logger.child({ component: 'deposits' }), registry, referrals });
  await consumeOnce(depositConfirmedV1, { action: 'credit', description: 'Credits each confirmed chain deposit once' }, (tx, event) => deposits.credit(tx, event));
  await consumeOnce(depositRevertedV1, { action: 'compensate', description: 'Compensates credited deposits that a reorg removed' }, (tx, event) =>
    deposits.revert(tx, event),
  );

  // The withdrawal after approval, as the chain-watcher reports it.
  const lifecycle = createWithdrawalLifecycle({ namespace, logger: logger.child({ component: 'withdrawals' }), registry });
  await consumeOnce(
    chainWithdrawalBroadcastV1,
    { action: 'mark-broadcast', description: 'Marks approved withdrawals as broadcast (no more cancelling) and follows fee replacements' },
    (tx, event) => lifecycle.broadcast(tx, event),
  );
  await consumeOnce(
    chainWithdrawalConfirmedV1,
    { action: 'complete', description: 'Posts the holds of withdrawals the chain confirmed and completes them' },
    (tx, event) => lifecycle.confirmed(tx, event),
  );
  await consumeOnce(
    chainWithdrawalFailedV1,
    { action: 'release', description: 'Voids the holds of withdrawals that failed on chain, giving the user amount + fee back' },
    (tx, event) => lifecycle.failed(tx, event),
  );

  // Commands.
  const operations = createLedgerOperations({
    database,
    namespace,
    assets: config.LEDGER_ASSETS,
    withdrawalLimits: {
      minMinor: config.LEDGER_WITHDRAWAL_MIN_MINOR,
      maxMinor: config.LEDGER_WITHDRAWAL_MAX_MINOR,
      dailyMaxMinor: config.LEDGER_WITHDRAWAL_DAILY_MAX_MINOR,
      feeMinor: config.LEDGER_WITHDRAWAL_FEE_MINOR,
    },
    fraudRules: { velocityMaxPerHour: config.LEDGER_FRAUD_VELOCITY_PER_HOUR, afterDepositCoolingMs: config.LEDGER_FRAUD_DEPOSIT_COOLING_MS },
  });
  // Transfers arriving together commit together (group commit); see transfer.batcher.ts.
  const batchLogger = logger.child({ component: 'transfer-batcher' });
  const transfers = createTransferBatcher({
    database,
    namespace,
    now: () => new Date(),
    single: (request) => operations.transfer(request),
    registry,
    onOverdue: (event) =>
      event.settled === undefined
        ? batchLogger.warn(event, 'a transfer batch passed its deadline; its commands were answered unavailable')
        : batchLogger.warn(event, 'an overdue transfer batch settled after all'),
  });
  const flags = await watchFlags({ nc: context.nats, namespace, logger: logger.child({ component: 'flags' }) });
  const outgoing = [Flags.emergencyStop] as const;
  const withdrawing = [Flags.emergencyStop, Flags.maintenance] as const;
  const plans = createPlanOperations({ database, namespace, assets: config.LEDGER_ASSETS });
  const referralStats = createReferralStats({ database, reward: { asset: config.LEDGER_REFERRAL_REWARD_ASSET, amountMinor: config.LEDGER_REFERRAL_REWARD_MINOR } });
  const blacklist = createBlacklistOperations({ database, namespace, logger: logger.child({ component: 'blacklist' }) });
  const routes: AnyCommandRoute[] = [
    commandRoute(openAccountV1, (request) => guarded(breaker, () => operations.openAccount(request))),
    commandRoute(getBalanceV1, (request) => guarded(breaker, () => operations.getBalance(request))),
    commandRoute(listHistoryV1, (request) => guarded(breaker, () => operations.listHistory(request))),
    commandRoute(transferV1, (request) => unlessHalted(flags, outgoing, () => guarded(breaker, () => transfers.transfer(request)))),
    commandRoute(getWithdrawalTermsV1, (request) => guarded(breaker, () => operations.getWithdrawalTerms(request))),
    commandRoute(requestWithdrawalV1, (request) => unlessHalted(flags, withdrawing, () => guarded(breaker, () => operations.requestWithdrawal(request)))),
    commandRoute(cancelWithdrawalV1, (request) => guarded(breaker, () => operations.cancelWithdrawal(request))),
    commandRoute(approveWithdrawalV1, (request) => guarded(breaker, () => operations.approveWithdrawal(request))),
    commandRoute(rejectWithdrawalV1, (request) => guarded(breaker, () => operations.rejectWithdrawal(request))),
    commandRoute(manualAdjustmentV1, (request) => guarded(breaker, () => operations.manualAdjustment(request))),
    commandRoute(blacklistUserV1, (request) => guarded(breaker, () => blacklist.blacklistUser(request))),
    commandRoute(publishPlanV1, (request) => guarded(breaker, () => plans.publishPlan(request))),
    commandRoute(disablePlanV1, (request) => guarded(breaker, () => plans.disablePlan(request))),
    commandRoute(listPlansV1, (request) => guarded(breaker, () => plans.listPlans(request))),
    commandRoute(openPlanDepositV1, (request) => guarded(breaker, () => plans.openPlanDeposit(request))),
    commandRoute(listPlanDepositsV1, (request) => guarded(breaker, () => plans.listPlanDeposits(request))),
    commandRoute(getReferralStatsV1, (request) => guarded(breaker, () => referralStats.getReferralStats(request))),
  ];
  const commands = await serveCommands({ nc: context.nats, namespace, queue: 'ledger', routes, logger: logger.child({ component: 'commands' }), registry });

  const jobs = startLedgerJobs({ database, namespace, logger: logger.child({ component: 'jobs' }), registry, reconcileIntervalMs: config.LEDGER_RECONCILE_INTERVAL_MS, alerts: context });
  const planAccrual = startPlanAccrualJob({
    database,
    namespace,
    logger: logger.child({ component: 'plan-accrual' }),
    registry,
    intervalMs: config.LEDGER_PLAN_ACCRUAL_INTERVAL_MS,
  });

  const autoApproval = startWithdrawalAutoApproval({
    database,
    namespace,
    logger: logger.child({ component: 'auto-approval' }),
    registry,
    flags,
    coolingMs: config.LEDGER_WITHDRAWAL_COOLING_MS,
    intervalMs: config.LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS,
  });

  // Registered last, so they run first at shutdown: stop answering, then stop the jobs.
  context.onShutdown('ledger withdrawal auto-approval', () => autoApproval.stop(COMMAND_STOP_TIMEOUT_MS));
  context.onShutdown('ledger jobs', () => jobs.stop(COMMAND_STOP_TIMEOUT_MS));
  context.onShutdown('ledger plan accrual', () => planAccrual.stop(COMMAND_STOP_TIMEOUT_MS));
  context.onShutdown('flags', () => flags.stop());
  context.onShutdown('ledger commands', () => commands.stop(COMMAND_STOP_TIMEOUT_MS));
}
