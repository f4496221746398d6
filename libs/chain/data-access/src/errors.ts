/**
 * Stable error codes of the chain-watcher's data access; a code is never reused for another meaning.
 * The withdrawal side keeps its own codes in its own files.
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
