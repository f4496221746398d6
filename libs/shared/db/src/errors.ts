/** Stable error codes of the db lib; a code is never reused for another meaning. */
export const DbErrorCodes = {
  /** A schema name that is not a plain lower-case identifier (it is spliced into SQL and channel names). */
  invalidSchemaName: 'DB_ERR_INVALID_SCHEMA_NAME',
  /** An option outside its allowed range (a non-positive size, a negative time). */
  invalidOption: 'DB_ERR_INVALID_OPTION',
  /** Another process held the migration lock of the schema for longer than `lockTimeoutMs`. */
  migrationLockTimeout: 'DB_ERR_MIGRATION_LOCK_TIMEOUT',
  /** The migrations could not be read or one of them failed; nothing of the failing one is applied. */
  migrationFailed: 'DB_ERR_MIGRATION_FAILED',
  /** A database call did not answer within its time limit. */
  timeout: 'DB_ERR_TIMEOUT',
  /** More outbox messages in one call than `ENQUEUE_MESSAGES_MAX`. */
  tooManyMessages: 'DB_ERR_TOO_MANY_MESSAGES',
  /** The injected publish function did not settle within the relay's `publishTimeoutMs`. */
  publishTimeout: 'DB_ERR_PUBLISH_TIMEOUT',
  /**
   * A value handed to an operation is malformed: an idempotency key or scope outside its pattern, a
   * request that cannot be hashed, a response that is not plain JSON (a bigint, a Date) or too large.
   */
  invalidArgument: 'DB_ERR_INVALID_ARGUMENT',
  /** The idempotency key was used before, in the same scope, with a different request; nothing was done. */
  idempotencyConflict: 'DB_ERR_IDEMPOTENCY_CONFLICT',
  /** A request with the same idempotency key was still running when the wait ran out; retry shortly. */
  idempotencyInProgress: 'DB_ERR_IDEMPOTENCY_IN_PROGRESS',
} as const;
export type DbErrorCode = (typeof DbErrorCodes)[keyof typeof DbErrorCodes];

/** Codes whose operation may succeed when simply tried again later. */
const TRANSIENT_CODES: ReadonlySet<DbErrorCode> = new Set([
  DbErrorCodes.timeout,
  DbErrorCodes.migrationLockTimeout,
  DbErrorCodes.idempotencyInProgress,
]);

/**
 * A failure of the db lib, with a stable `code`; the underlying driver error is kept as `cause`.
 * `transient` says whether the same call may succeed when tried again later (a timeout, a key still
 * in progress); callers that map errors generically (the command server) read it.
 */
export class DbError extends Error {
  override readonly name = 'DbError';
  readonly transient: boolean;

  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.transient = TRANSIENT_CODES.has(code);
  }
}

// ---------------------------------------------------------------------------------------------
// Classification at the edge: may the same operation succeed if it is simply tried again?
// ---------------------------------------------------------------------------------------------

/** How a caller should treat a database failure: retry it (transient) or give up (permanent). */
export const DbFailureKinds = {
  transient: 'transient',
  permanent: 'permanent',
} as const;
export type DbFailureKind = (typeof DbFailureKinds)[keyof typeof DbFailureKinds];

/**
 * SQLSTATE classes and codes that mean "the same transaction may well succeed when run again":
 * connection loss, server shutdown, too many connections, serialization failures and deadlocks,
 * lock and statement timeouts, and a read-only standby (a failover in progress).
 */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57P'] as const;
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014', '25006']);
/** Node socket errors that mean the server could not be reached or the connection dropped. */
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * Classifies an error thrown by this lib, postgres.js or drizzle (drizzle wraps the driver error
 * in `cause`). Unknown errors are permanent: retrying what nobody understands only hides it.
 *
 * @example
 * if (classifyDbError(error) === DbFailureKinds.transient) return { retryAfterMs: 1_000 };
 */
export function classifyDbError(error: unknown): DbFailureKind {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (current instanceof DbError) {
      // A permanent DbError may still wrap a transient driver failure (a migration that hit a lock timeout).
      if (current.transient) return DbFailureKinds.transient;
      continue;
    }
    const code = (current as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return DbFailureKinds.transient;
    if (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) {
      return DbFailureKinds.transient;
    }
  }
  return DbFailureKinds.permanent;
}

/**
 * The SQLSTATE of a PostgreSQL error (`40P01`, `55P03`), looking through the `cause` drizzle wraps
 * the driver error in; undefined for anything else.
 */
export function sqlStateOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
