// ---------------------------------------------------------------------------------------------
// Errors of the domain lib. Every error carries a stable `code`; a code is never reused for
// another meaning. Expected outcomes (a user typed a bad amount, a transition is not allowed) are
// returned as values holding these errors; broken invariants (mixing assets, a malformed state
// machine) throw them.
// ---------------------------------------------------------------------------------------------

/** Stable error codes of the domain lib. */
export const DomainErrorCodes = {
  invalidId: 'DOMAIN_ERR_INVALID_ID',
  invalidAsset: 'DOMAIN_ERR_INVALID_ASSET',
  amountEmpty: 'DOMAIN_ERR_AMOUNT_EMPTY',
  amountTooLong: 'DOMAIN_ERR_AMOUNT_TOO_LONG',
  amountNotANumber: 'DOMAIN_ERR_AMOUNT_NOT_A_NUMBER',
  amountTooManyDecimals: 'DOMAIN_ERR_AMOUNT_TOO_MANY_DECIMALS',
  amountNegative: 'DOMAIN_ERR_AMOUNT_NEGATIVE',
  amountZero: 'DOMAIN_ERR_AMOUNT_ZERO',
  amountTooLarge: 'DOMAIN_ERR_AMOUNT_TOO_LARGE',
  amountOutOfRange: 'DOMAIN_ERR_AMOUNT_OUT_OF_RANGE',
  amountNotBigint: 'DOMAIN_ERR_AMOUNT_NOT_BIGINT',
  assetMismatch: 'DOMAIN_ERR_ASSET_MISMATCH',
  invalidStateMachine: 'DOMAIN_ERR_INVALID_STATE_MACHINE',
  invalidTransition: 'DOMAIN_ERR_INVALID_TRANSITION',
} as const;
export type DomainErrorCode = (typeof DomainErrorCodes)[keyof typeof DomainErrorCodes];

/** The codes a failed `parseAmount` can carry, one per reason. */
export type MoneyParseErrorCode =
  | typeof DomainErrorCodes.amountEmpty
  | typeof DomainErrorCodes.amountTooLong
  | typeof DomainErrorCodes.amountNotANumber
  | typeof DomainErrorCodes.amountTooManyDecimals
  | typeof DomainErrorCodes.amountNegative
  | typeof DomainErrorCodes.amountZero
  | typeof DomainErrorCodes.amountTooLarge;

/** Base of every domain error: a stable `code`, a message for people, and the `cause` kept. */
export class DomainError<TCode extends DomainErrorCode = DomainErrorCode> extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: TCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A decimal amount that was refused at the edge; `code` says why, `message` says it in words. */
export class MoneyParseError extends DomainError<MoneyParseErrorCode> {
  override name = 'MoneyParseError';
}

/** A state change the state machine does not declare. */
export class StateTransitionError extends DomainError<typeof DomainErrorCodes.invalidTransition> {
  override name = 'StateTransitionError';
  constructor(
    /** Name of the state machine, e.g. `withdrawal`. */
    readonly machine: string,
    readonly from: string,
    readonly to: string,
    message: string,
  ) {
    super(DomainErrorCodes.invalidTransition, message);
  }
}

/** A state machine specification that cannot be used; `problems` lists every defect found. */
export class StateMachineDefinitionError extends DomainError<typeof DomainErrorCodes.invalidStateMachine> {
  override name = 'StateMachineDefinitionError';
  constructor(
    readonly machine: string,
    readonly problems: readonly string[],
  ) {
    super(DomainErrorCodes.invalidStateMachine, `state machine "${machine}" is invalid: ${problems.join('; ')}`);
  }
}
