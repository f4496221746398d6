export { startLedger, type LedgerConfig } from './ledger.service';
export { createPlanOperations, PlanRefusal, type PlanOperations, type PlanOperationsOptions } from './plans.operations';
export {
  accrueNextDay,
  matureIfDue,
  PLAN_DEPOSIT_DAYS_PER_RUN_MAX,
  PLAN_DEPOSITS_PER_PAGE,
  runPlanAccrual,
  startPlanAccrualJob,
  type AccrualStep,
  type PlanAccrualJob,
  type PlanAccrualRun,
  type RunPlanAccrualOptions,
} from './plans.accrual';
export { addDays, daysBetween, interestForDay, interestThroughDay, maturityOf, utcDay } from './plans.interest';
export { createLedgerOperations, type LedgerOperations, type LedgerOperationsOptions } from './ledger.operations';
export { checkWithdrawalLimits, reviewReasons, ReviewReasons, WithdrawalLimitReasons, type FraudRules, type WithdrawalLimits } from './withdrawal.policy';
export { withdrawalMachine } from './withdrawal.machine';
export { createTransferBatcher, TRANSFER_BATCH_MAX, TRANSFER_QUEUE_MAX, type TransferBatcher, type TransferBatcherOptions } from './transfer.batcher';
export { createBlacklistOperations, isBlacklisted, type BlacklistOperations } from './blacklist.operations';
export { createReferralStats } from './referral-stats.operations';
export { createReferrals, ReferralOutcomes, type ReferralOutcome, type ReferralReward, type Referrals } from './referrals.handler';
export { createDepositHandlers, type DepositHandlers } from './deposits.handler';
export { ChainEventOutcomes, createWithdrawalLifecycle, type ChainEventOutcome, type WithdrawalLifecycle } from './withdrawal.lifecycle';
export {
  approveDueWithdrawals,
  AUTO_APPROVALS_PER_PASS_MAX,
  AUTO_APPROVER_ID,
  startWithdrawalAutoApproval,
  type AutoApprovalJob,
  type AutoApprovalPass,
} from './withdrawal.auto-approval';
