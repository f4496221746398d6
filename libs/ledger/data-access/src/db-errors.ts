import { LedgerError, LedgerErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// The database is the last guard behind the engine's own checks: when one of its constraints
// refuses a write (a concurrent writer the engine could not see, or a bug), the refusal is turned
// into the same LedgerError the engine would have thrown. Anything else is passed through as is.
// ---------------------------------------------------------------------------------------------

/** The fields of a PostgreSQL error that postgres.js exposes (drizzle wraps it in `cause`). */
interface PostgresErrorFields {
  readonly code: string;
  readonly constraint_name?: string;
  readonly detail?: string;
}

const SQLSTATE_PATTERN = /^[0-9A-Z]{5}$/;
const UUID_IN_TEXT_PATTERN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const CAUSE_DEPTH_MAX = 5;

/** The PostgreSQL error inside `error` (itself or a cause), if any. */
export function postgresErrorOf(error: unknown): PostgresErrorFields | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < CAUSE_DEPTH_MAX; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SQLSTATE_PATTERN.test(code)) return current as unknown as PostgresErrorFields;
  }
  return undefined;
}

/** SQLSTATEs this module maps. */
export const SqlStates = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  foreignKeyViolation: '23503',
} as const;

/**
 * Maps a constraint violation of a transfer write to its LedgerError; returns undefined for any
 * other error. `23514` (a check) on accounts → LEDGER_ERR_INSUFFICIENT_FUNDS; a duplicate transfer
 * id → LEDGER_ERR_TRANSFER_EXISTS; a second resolution of a hold → LEDGER_ERR_PENDING_ALREADY_RESOLVED;
 * a missing account → LEDGER_ERR_ACCOUNT_NOT_FOUND.
 */
export function ledgerErrorFromDatabase(error: unknown): LedgerError | undefined {
  const pg = postgresErrorOf(error);
  if (pg === undefined) return undefined;
  const constraint = pg.constraint_name ?? '';
  const subjectId = UUID_IN_TEXT_PATTERN.exec(pg.detail ?? '')?.[0] ?? 'unknown';
  const options = { cause: error };
  if (pg.code === SqlStates.checkViolation && constraint.startsWith('accounts_')) {
    return new LedgerError(
      LedgerErrorCodes.insufficientFunds,
      `the database refused the balance update of account ${subjectId} (${constraint})`,
      { accountId: subjectId, constraint, available: 'unknown', requested: 'unknown' },
      options,
    );
  }
  if (pg.code === SqlStates.uniqueViolation && constraint === 'transfers_pkey') {
    return new LedgerError(LedgerErrorCodes.transferExists, `transfer ${subjectId} exists already`, { transferId: subjectId }, options);
  }
  if (pg.code === SqlStates.uniqueViolation && constraint === 'transfers_pending_id_uq') {
    return new LedgerError(LedgerErrorCodes.pendingAlreadyResolved, `pending transfer ${subjectId} is resolved already`, { pendingId: subjectId }, options);
  }
  if (pg.code === SqlStates.foreignKeyViolation && constraint === 'transfers_pending_fk') {
    return new LedgerError(LedgerErrorCodes.pendingNotFound, `pending transfer ${subjectId} does not exist`, { pendingId: subjectId }, options);
  }
  if (pg.code === SqlStates.foreignKeyViolation && constraint.startsWith('transfers_')) {
    return new LedgerError(LedgerErrorCodes.accountNotFound, `account ${subjectId} does not exist`, { accountId: subjectId }, options);
  }
  return undefined;
}
