// ---------------------------------------------------------------------------------------------
// Errors of the withdrawal side of chain-watcher's data access. Codes are stable: a code is never
// reused for another meaning. Messages never hold key material.
// ---------------------------------------------------------------------------------------------

export const ChainWithdrawalErrorCodes = {
  /** The hot wallet key is not a 32-byte hex private key (or, decrypted, does not hold one). */
  hotWalletKeyInvalid: 'CHAIN_ERR_HOT_WALLET_KEY_INVALID',
  /** The key is encrypted but no encryption key was configured, or the encryption key is malformed. */
  hotWalletEncryptionKeyMissing: 'CHAIN_ERR_HOT_WALLET_ENCRYPTION_KEY_MISSING',
  /** Decryption failed: wrong encryption key, or the stored key was altered. */
  hotWalletKeyUndecryptable: 'CHAIN_ERR_HOT_WALLET_KEY_UNDECRYPTABLE',
  /** A JSON-RPC call failed or timed out (transient: retried by the loops). */
  rpcFailed: 'CHAIN_ERR_RPC_FAILED',
  /** The node refused a raw transaction for a reason that is not one of the known success paths. */
  broadcastRefused: 'CHAIN_ERR_BROADCAST_REFUSED',
  /** The token contract's decimals differ from the configured ones. */
  tokenDecimalsMismatch: 'CHAIN_ERR_TOKEN_DECIMALS_MISMATCH',
} as const;
export type ChainWithdrawalErrorCode = (typeof ChainWithdrawalErrorCodes)[keyof typeof ChainWithdrawalErrorCodes];

/** An error of the withdrawal side with a stable `code`; keeps its `cause`. */
export class ChainWithdrawalError extends Error {
  override readonly name = 'ChainWithdrawalError';
  constructor(
    readonly code: ChainWithdrawalErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${code}: ${message}`, options);
  }
}
