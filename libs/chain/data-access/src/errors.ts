/**
 * Stable error codes of the chain-watcher's data access (deposits and node reads); a code is never
 * reused for another meaning. The withdrawal sender's codes follow below.
 */
export const ChainErrorCodes = {
  /** No configured RPC endpoint answered in time (refused, reset, timed out, HTTP error). */
  rpcUnreachable: 'CHAIN_ERR_RPC_UNREACHABLE',
  /** An endpoint answered something that is not a valid answer to the call: bad JSON, wrong shape, wrong chain. */
  rpcInvalidAnswer: 'CHAIN_ERR_RPC_INVALID_ANSWER',
  /** The node answered with a JSON-RPC error object. */
  rpcRemoteError: 'CHAIN_ERR_RPC_REMOTE_ERROR',
  /** The extended public key is missing, malformed or is a private key. */
  invalidXpub: 'CHAIN_ERR_INVALID_XPUB',
  /** More items than a named maximum allows. */
  limit: 'CHAIN_ERR_LIMIT',
} as const;
export type ChainErrorCode = (typeof ChainErrorCodes)[keyof typeof ChainErrorCodes];

/** A failure of the chain-watcher's data access with a stable `code`; keeps `cause`. */
export class ChainError extends Error {
  override readonly name = 'ChainError';
  constructor(
    readonly code: ChainErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// Errors of the withdrawal sender's data access (hot wallet, node calls). Codes are stable: a code
// is never reused for another meaning. Messages never hold key material.
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
