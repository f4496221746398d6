/** Stable error codes of the contracts lib; a code is never reused for another meaning. */
export const ContractErrorCodes = {
  invalidEnvelope: 'CONTRACTS_ERR_INVALID_ENVELOPE',
  unknownType: 'CONTRACTS_ERR_UNKNOWN_TYPE',
  invalidData: 'CONTRACTS_ERR_INVALID_DATA',
  /** An event definition whose name parts or version cannot form a valid type (a code defect). */
  invalidDefinition: 'CONTRACTS_ERR_INVALID_DEFINITION',
  /** A namespace, service, action or other name that would break subjects, schemas or keys. */
  invalidName: 'CONTRACTS_ERR_INVALID_NAME',
  /** An encoded event larger than EVENT_SIZE_BYTES_MAX. */
  eventTooLarge: 'CONTRACTS_ERR_EVENT_TOO_LARGE',
} as const;
export type ContractErrorCode = (typeof ContractErrorCodes)[keyof typeof ContractErrorCodes];

/** An event that does not match its contract. `issues` lists every problem found. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly code: ContractErrorCode,
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message, options);
  }
}
