export * as chainSchema from './chain.schema';
export { nodeStatusTable } from './chain.schema';
export { chainMigrationsFolder } from './migrations';
export { createChainReader, type ChainReader } from './chain.client';
export { recordNodeStatus } from './node-status.repository';
export { createWithdrawalRpc, classifyBroadcastError, BroadcastOutcomes, ERC20_INTERFACE, type BroadcastOutcome, type FeeQuote, type ReceiptSummary, type WalletSnapshot, type WithdrawalRpc } from './withdrawals.rpc';
export {
  commitNonce,
  findChainWithdrawal,
  insertAttempt,
  insertSignedWithdrawal,
  listOpenWithdrawals,
  lockNextNonce,
  markAttemptBroadcast,
  recordOutcome,
  recordRejectedWithdrawal,
  OPEN_WITHDRAWALS_PER_PASS_MAX,
  type ApprovedWithdrawal,
  type OpenWithdrawal,
  type WithdrawalOutcome,
} from './withdrawals.repository';
export {
  ChainWithdrawalFailureReasons,
  ChainWithdrawalStates,
  chainWithdrawalAttemptsTable,
  chainWithdrawalOutcomesTable,
  chainWithdrawalsTable,
  hotWalletNoncesTable,
  type ChainWithdrawalAttemptRow,
  type ChainWithdrawalFailureReason,
  type ChainWithdrawalRow,
  type ChainWithdrawalState,
} from './withdrawals.schema';
export { ChainWithdrawalError, ChainWithdrawalErrorCodes, type ChainWithdrawalErrorCode } from './withdrawals.errors';
export { encryptHotWalletKey, isEncryptedHotWalletKey, loadHotWallet, ENCRYPTED_KEY_PREFIX, type HotWallet } from './hot-wallet.key';
