/**
 * Stable error codes of the ledger's data access; a code is never reused for another meaning.
 * The codes shared with the command contracts (`LedgerCommandErrors`) are spelled the same.
 */
export const LedgerErrorCodes = {
  /** A malformed transfer: amount not positive, one account on both sides, a bad id or code, a bad combination of fields. */
  invalidTransfer: 'LEDGER_ERR_INVALID_TRANSFER',
  /** An argument of a read or of an account operation is malformed (an id that is no UUID, an asset code, a page size below 1). */
  invalidArgument: 'LEDGER_ERR_INVALID_ARGUMENT',
  accountNotFound: 'LEDGER_ERR_ACCOUNT_NOT_FOUND',
  /** The two accounts (or the account and the pending transfer) hold different assets. */
  assetMismatch: 'LEDGER_ERR_ASSET_MISMATCH',
  /** A limited account would exceed its limit (a user account would go below zero). */
  insufficientFunds: 'LEDGER_ERR_INSUFFICIENT_FUNDS',
  /** A transfer with this id exists already: a transfer id is used once. */
  transferExists: 'LEDGER_ERR_TRANSFER_EXISTS',
  /** The transfer to post or void does not exist or is not a pending transfer. */
  pendingNotFound: 'LEDGER_ERR_PENDING_NOT_FOUND',
  /** The pending transfer was posted or voided before. */
  pendingAlreadyResolved: 'LEDGER_ERR_PENDING_ALREADY_RESOLVED',
  /** The pending transfer's timeout has passed: it can no longer be posted (it voids itself). */
  pendingExpired: 'LEDGER_ERR_PENDING_EXPIRED',
  /** More items than a named maximum allows (transfers per call, ids per read, page size). */
  limit: 'LEDGER_ERR_LIMIT',
} as const;
export type LedgerErrorCode = (typeof LedgerErrorCodes)[keyof typeof LedgerErrorCodes];

/** Values of `details`: plain strings, so they survive JSON and logs (amounts as decimal strings). */
export type LedgerErrorDetails = Readonly<Record<string, string>>;

/**
 * An expected refusal of a ledger operation, with a stable `code`; nothing was changed by the
 * refused call (the caller rolls its transaction back). `details` names the values involved.
 *
 * @example
 * if (error instanceof LedgerError && error.code === LedgerErrorCodes.insufficientFunds) {
 *   reply({ error: error.code, available: error.details['available'] });
 * }
 */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';

  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly details: LedgerErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A broken ledger invariant seen where it is cheap to check (a user balance below zero after a read,
 * totals that differ from what the engine computed). Never expected: it means a bug or a tampered
 * database, and it is thrown so the operation fails loudly instead of carrying on.
 */
export class LedgerInvariantError extends Error {
  override readonly name = 'LedgerInvariantError';
}
