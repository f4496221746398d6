// The public face of @strongbox/ledger-data-access: the ledger's tables and migrations, its
// double-entry engine (accounts, transfers, holds) and the reconciliation of its invariants.

import * as coreSchema from './ledger.schema';
import * as operationsSchema from './operations.schema';
import * as plansSchema from './plans.schema';
import * as usersSchema from './users.schema';

export * as ledgerSchema from './ledger.schema';
/** Every table of the ledger's schema, for `openDatabase`. */
export const ledgerTables = { ...coreSchema, ...operationsSchema, ...plansSchema, ...usersSchema };
export {
  BLACKLIST_REASON_LENGTH_MAX,
  referralRewardsTable,
  referralsTable,
  userBlacklistTable,
  type ReferralRewardRow,
  type ReferralRow,
  type UserBlacklistRow,
} from './users.schema';
export {
  DepositStates,
  depositsTable,
  WITHDRAWAL_STATES_COUNTING,
  WithdrawalStates,
  withdrawalsTable,
  type DepositRow,
  type DepositState,
  type WithdrawalRow,
  type WithdrawalState,
} from './operations.schema';
export {
  PLAN_CODE_LENGTH_MAX,
  PLAN_CODE_PATTERN,
  PLAN_RATE_BPS_MAX,
  PLAN_TERM_DAYS_MAX,
  planAccrualsTable,
  PlanDepositStates,
  planDepositsTable,
  plansTable,
  type PlanAccrualRow,
  type PlanDepositRow,
  type PlanDepositState,
  type PlanRow,
} from './plans.schema';
export {
  AccountKinds,
  accountsTable,
  MINOR_UNITS_COLUMN_MAX,
  minorUnits,
  SYSTEM_ACCOUNT_KINDS,
  TransferCodes,
  TransferKinds,
  transfersTable,
  USER_ACCOUNT_KINDS,
  type AccountKind,
  type AccountRow,
  type SystemAccountKind,
  type TransferCode,
  type TransferKind,
  type TransferRow,
  type UserAccountKind,
} from './ledger.schema';
export { ledgerMigrationsFolder } from './migrations';
export { LedgerError, LedgerErrorCodes, LedgerInvariantError, type LedgerErrorCode, type LedgerErrorDetails } from './errors';
export {
  ACCOUNTS_PER_READ_MAX,
  ASSETS_PER_CALL_MAX,
  availableOf,
  ensureSystemAccounts,
  getAccounts,
  getUserAccounts,
  listUserAccounts,
  openUserAccounts,
  systemAccountId,
  type AccountBalance,
} from './accounts.repository';
export { TRANSFERS_PER_CALL_MAX, type TransferInput } from './transfers.validation';
export {
  createTransfers,
  planTransferCalls,
  EXPIRED_VOIDS_PER_CALL_MAX,
  TRANSFER_CALLS_PER_PASS_MAX,
  type PlannedTransferCalls,
  type TransferCall,
  type TransferCallOutcome,
  listTransfers,
  TRANSFERS_PAGE_MAX,
  voidExpiredPendingTransfers,
  type CreateTransfersInput,
  type PostedTransfer,
  type TransferPage,
} from './transfers.engine';
export {
  checkInvariants,
  Invariants,
  VIOLATIONS_PER_INVARIANT_MAX,
  type Invariant,
  type InvariantReport,
  type InvariantSource,
  type InvariantViolation,
} from './invariants';
