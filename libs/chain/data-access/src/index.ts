export * as chainSchema from './chain.schema';
export { nodeStatusTable } from './chain.schema';
export { chainMigrationsFolder } from './migrations';
export { createChainReader, type ChainReader } from './chain.client';
export { recordNodeStatus } from './node-status.repository';
export { ChainError, ChainErrorCodes, ChainWithdrawalError, ChainWithdrawalErrorCodes, type ChainErrorCode, type ChainWithdrawalErrorCode } from './errors';
export {
  DepositStates,
  ClaimStates,
  depositsTable,
  depositAddressesTable,
  depositClaimsTable,
  scanCursorsTable,
  scannedBlocksTable,
  type DepositState,
  type ClaimState,
  type DepositRow,
} from './deposits.schema';
export { createDepositAddressDeriver, DERIVATION_INDEX_MAX, type DepositAddressDeriver } from './deposit-address.deriver';
export {
  createChainRpcClient,
  RPC_BATCH_CALLS_MAX,
  RPC_ENDPOINTS_MAX,
  RPC_LOGS_MAX,
  RPC_RESPONSE_BYTES_MAX,
  type BlockHeader,
  type ChainLog,
  type ChainRpcClient,
  type ChainRpcClientOptions,
  type TransactionReceipt,
} from './chain-rpc.client';
export {
  ADDRESSES_PER_LOAD_MAX,
  CLAIMS_PER_PASS_MAX,
  DEPOSIT_AMOUNT_MAX,
  assignDepositAddress,
  commitScannedRange,
  depositEventId,
  depositsInStates,
  depositsOfTransaction,
  ensureScanCursor,
  findDepositAddress,
  loadDepositAddresses,
  readScanCursor,
  recordRangeRescanned,
  rewindToForkPoint,
  saveClaim,
  storedBlockHashes,
  unresolvedClaims,
  type CommitRangeInput,
  type CommitRangeResult,
  type DepositAddress,
  type DepositObservation,
  type RewindResult,
  type ScanCursor,
} from './deposits.repository';
export { createFailoverWithdrawalRpc, createWithdrawalRpc, classifyBroadcastError, BroadcastOutcomes, ERC20_INTERFACE, type BroadcastOutcome, type FeeQuote, type ReceiptSummary, type WalletSnapshot, type WithdrawalRpc } from './withdrawals.rpc';
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
export { encryptHotWalletKey, isEncryptedHotWalletKey, loadHotWallet, ENCRYPTED_KEY_PREFIX, type HotWallet } from './hot-wallet.key';
export { subscribeNewHeads, NEW_HEADS_RECONNECT_DELAY_MS_MAX, NEW_HEADS_RECONNECT_DELAY_MS_MIN, type NewHeadsSubscription } from './new-heads.subscription';
