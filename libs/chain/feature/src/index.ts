export { startChainWatcher, type ChainWatcherConfig } from './chain-watcher.service';
export {
  createWithdrawalSender,
  startWithdrawalSender,
  type ApprovalResult,
  type ApprovedEvent,
  type PassSummary,
  type WithdrawalDatabase,
  type WithdrawalSender,
  type WithdrawalSenderDeps,
  type WithdrawalSenderSettings,
  type WithdrawalServiceConfig,
} from './withdrawals.sender';
export { chainWithdrawalEnv, withdrawalTokensFrom, WithdrawalCrashPoints, type ChainWithdrawalConfig, type WithdrawalCrashPoint, type WithdrawalToken } from './withdrawals.config';
export { ChainFeatureError, ChainFeatureErrorCodes, type ChainFeatureErrorCode } from './errors';
export {
  CONTRACTS_PER_ASSET_MAX,
  WATCHED_ASSETS_MAX,
  firstWatchedBlock,
  watchedTokensEnv,
  watchedTokensSchema,
  type WatchedAsset,
  type WatchedTokens,
} from './deposit.config';
export { createDepositScanner, RANGES_PER_TICK_MAX, TRANSFER_TOPIC, type DepositScanner, type DepositScannerOptions, type ScanTickResult } from './deposit.scanner';
export { createDepositClaims, type DepositClaims } from './deposit.claims';
export { createNodeHealth, NodeStates, type NodeHealth, type NodeState } from './node-health.monitor';
