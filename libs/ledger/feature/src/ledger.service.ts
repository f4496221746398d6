import {
  approveWithdrawalV1,
  blacklistUserV1,
  cancelWithdrawalV1,
  chainWithdrawalBroadcastV1,
  chainWithdrawalConfirmedV1,
  chainWithdrawalFailedV1,
  depositConfirmedV1,
  depositRevertedV1,
  disablePlanV1,
  durableName,
  eventSubject,
  getBalanceV1,
  LedgerCommandErrors,
  listHistoryV1,
  listPlansV1,
  manualAdjustmentV1,
  openAccountV1,
  openPlanDepositV1,
  publishPlanV1,
  rejectWithdrawalV1,
  requestWithdrawalV1,
  StreamBases,
  transferV1,
  userRegisteredV1,
} from '@strongbox/shared-contracts';
import { classifyDbError, DbFailureKinds, processOnce } from '@strongbox/shared-db';
import { CommandError, commandRoute, Flags, serveCommands, watchFlags, type AnyCommandRoute, type Flag, type FlagWatcher } from '@strongbox/shared-messaging';
import { BreakerOpenError, createCircuitBreaker, type Breaker } from '@strongbox/shared-resilience';
import { eventConsumerSpec, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { ensureSystemAccounts, ledgerMigrationsFolder, ledgerTables, openUserAccounts } from '@strongbox/ledger-data-access';
import { createBlacklistOperations } from './blacklist.operations';
import { createDepositHandlers } from './deposits.handler';
import { startLedgerJobs } from './ledger.jobs';
import { createLedgerOperations } from './ledger.operations';
import { startPlanAccrualJob } from './plans.accrual';
import { createPlanOperations } from './plans.operations';
import { createTransferBatcher } from './transfer.batcher';
import { createReferrals } from './referrals.handler';
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

  const referrals = createReferrals({
    namespace,
    schema: database.schema,
    logger: logger.child({ component: 'referrals' }),
    registry,
    reward: { asset: config.LEDGER_REFERRAL_REWARD_ASSET, amountMinor: config.LEDGER_REFERRAL_REWARD_MINOR },
  });

  // Events from other services.
  const registeredDurable = durableName('ledger', 'open-account', 'user-registered');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.bot,
      durable: registeredDurable,
      filterSubject: eventSubject(namespace, userRegisteredV1.type),
      description: 'Opens the accounts of every newly registered user and records who referred them',
    }),
    decode: (raw) => userRegisteredV1.parse(raw),
    handle: async (event) => {
      await processOnce(database, { consumer: registeredDurable, eventId: event.id, isolationLevel: 'read committed' }, async (tx) => {
        await openUserAccounts(tx, { namespace, userId: event.data.userId, assets: config.LEDGER_ASSETS, causationId: event.id });
        await referrals.record(tx, event);
      });
    },
  });

  const deposits = createDepositHandlers({ namespace, logger: logger.child({ component: 'deposits' }), registry, referrals });
  const creditDurable = durableName('ledger', 'credit', 'deposit-confirmed');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.chain,
      durable: creditDurable,
      filterSubject: eventSubject(namespace, depositConfirmedV1.type),
      description: 'Credits each confirmed chain deposit once',
    }),
    decode: (raw) => depositConfirmedV1.parse(raw),
    handle: async (event) => {
      await processOnce(database, { consumer: creditDurable, eventId: event.id, isolationLevel: 'read committed' }, (tx) => deposits.credit(tx, event));
    },
  });
  const revertDurable = durableName('ledger', 'compensate', 'deposit-reverted');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.chain,
      durable: revertDurable,
      filterSubject: eventSubject(namespace, depositRevertedV1.type),
      description: 'Compensates credited deposits that a reorg removed',
    }),
    decode: (raw) => depositRevertedV1.parse(raw),
    handle: async (event) => {
      await processOnce(database, { consumer: revertDurable, eventId: event.id, isolationLevel: 'read committed' }, (tx) => deposits.revert(tx, event));
    },
  });

  // The withdrawal after approval, as the chain-watcher reports it.
  const lifecycle = createWithdrawalLifecycle({ namespace, logger: logger.child({ component: 'withdrawals' }), registry });
  const broadcastDurable = durableName('ledger', 'mark-broadcast', 'withdrawal-broadcast');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.chain,
      durable: broadcastDurable,
      filterSubject: eventSubject(namespace, chainWithdrawalBroadcastV1.type),
      description: 'Marks approved withdrawals as broadcast (no more cancelling) and follows fee replacements',
    }),
    decode: (raw) => chainWithdrawalBroadcastV1.parse(raw),
    handle: async (event) => {
      await processOnce(database, { consumer: broadcastDurable, eventId: event.id, isolationLevel: 'read committed' }, (tx) => lifecycle.broadcast(tx, event));
    },
  });
  const completeDurable = durableName('ledger', 'complete', 'withdrawal-confirmed');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.chain,
      durable: completeDurable,
      filterSubject: eventSubject(namespace, chainWithdrawalConfirmedV1.type),
      description: 'Posts the holds of withdrawals the chain confirmed and completes them',
    }),
    decode: (raw) => chainWithdrawalConfirmedV1.parse(raw),
    handle: async (event) => {
      await processOnce(database, { consumer: completeDurable, eventId: event.id, isolationLevel: 'read committed' }, (tx) => lifecycle.confirmed(tx, event));
    },
  });
  const failDurable = durableName('ledger', 'release', 'withdrawal-failed');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.chain,
      durable: failDurable,
      filterSubject: eventSubject(namespace, chainWithdrawalFailedV1.type),
      description: 'Voids the holds of withdrawals that failed on chain, giving the user amount + fee back',
    }),
    decode: (raw) => chainWithdrawalFailedV1.parse(raw),
    handle: async (event) => {
      await processOnce(database, { consumer: failDurable, eventId: event.id, isolationLevel: 'read committed' }, (tx) => lifecycle.failed(tx, event));
    },
  });

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
  const transfers = createTransferBatcher({ database, namespace, now: () => new Date(), single: (request) => operations.transfer(request), registry });
  const flags = await watchFlags({ nc: context.nats, namespace, logger: logger.child({ component: 'flags' }) });
  const outgoing = [Flags.emergencyStop] as const;
  const withdrawing = [Flags.emergencyStop, Flags.maintenance] as const;
  const plans = createPlanOperations({ database, namespace, assets: config.LEDGER_ASSETS });
  const blacklist = createBlacklistOperations({ database, namespace, logger: logger.child({ component: 'blacklist' }) });
  const routes: AnyCommandRoute[] = [
    commandRoute(openAccountV1, (request) => guarded(breaker, () => operations.openAccount(request))),
    commandRoute(getBalanceV1, (request) => guarded(breaker, () => operations.getBalance(request))),
    commandRoute(listHistoryV1, (request) => guarded(breaker, () => operations.listHistory(request))),
    commandRoute(transferV1, (request) => unlessHalted(flags, outgoing, () => guarded(breaker, () => transfers.transfer(request)))),
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
  ];
  const commands = await serveCommands({ nc: context.nats, namespace, queue: 'ledger', routes, logger: logger.child({ component: 'commands' }), registry });

  const jobs = startLedgerJobs({ database, namespace, logger: logger.child({ component: 'jobs' }), registry, reconcileIntervalMs: config.LEDGER_RECONCILE_INTERVAL_MS });
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
