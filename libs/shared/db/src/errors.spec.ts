// Proves classifyDbError sorts driver errors into transient and permanent, looking through the
// `cause` chain drizzle adds, with a table of real SQLSTATEs and socket error codes.
import { describe, expect, it } from 'vitest';
import { classifyDbError, DbError, DbErrorCodes, DbFailureKinds } from './errors';

function driverError(code: string): Error {
  return Object.assign(new Error(`driver said ${code}`), { code });
}

describe('classifyDbError', () => {
  it.each([
    { what: 'connection refused', error: driverError('ECONNREFUSED'), kind: DbFailureKinds.transient },
    { what: 'postgres.js connect timeout', error: driverError('CONNECT_TIMEOUT'), kind: DbFailureKinds.transient },
    { what: 'connection failure (08006)', error: driverError('08006'), kind: DbFailureKinds.transient },
    { what: 'admin shutdown (57P01)', error: driverError('57P01'), kind: DbFailureKinds.transient },
    { what: 'too many connections (53300)', error: driverError('53300'), kind: DbFailureKinds.transient },
    { what: 'serialization failure (40001)', error: driverError('40001'), kind: DbFailureKinds.transient },
    { what: 'deadlock (40P01)', error: driverError('40P01'), kind: DbFailureKinds.transient },
    { what: 'lock timeout (55P03)', error: driverError('55P03'), kind: DbFailureKinds.transient },
    { what: 'statement timeout (57014)', error: driverError('57014'), kind: DbFailureKinds.transient },
    { what: 'read-only standby (25006)', error: driverError('25006'), kind: DbFailureKinds.transient },
    { what: 'unique violation (23505)', error: driverError('23505'), kind: DbFailureKinds.permanent },
    { what: 'check violation (23514)', error: driverError('23514'), kind: DbFailureKinds.permanent },
    { what: 'undefined table (42P01)', error: driverError('42P01'), kind: DbFailureKinds.permanent },
    { what: 'no code', error: new Error('boom'), kind: DbFailureKinds.permanent },
    { what: 'not an error', error: 'boom', kind: DbFailureKinds.permanent },
    { what: 'wrapped by drizzle', error: new Error('Failed query', { cause: driverError('40001') }), kind: DbFailureKinds.transient },
    { what: 'lib timeout', error: new DbError(DbErrorCodes.timeout, 'ping'), kind: DbFailureKinds.transient },
    { what: 'migration lock timeout', error: new DbError(DbErrorCodes.migrationLockTimeout, 'busy'), kind: DbFailureKinds.transient },
    { what: 'idempotency key in progress', error: new DbError(DbErrorCodes.idempotencyInProgress, 'running'), kind: DbFailureKinds.transient },
    { what: 'idempotency conflict', error: new DbError(DbErrorCodes.idempotencyConflict, 'other body'), kind: DbFailureKinds.permanent },
    { what: 'invalid argument', error: new DbError(DbErrorCodes.invalidArgument, 'bad key'), kind: DbFailureKinds.permanent },
    {
      what: 'migration failed on a lock timeout',
      error: new DbError(DbErrorCodes.migrationFailed, 'failed', { cause: driverError('55P03') }),
      kind: DbFailureKinds.transient,
    },
    {
      what: 'migration failed on bad SQL',
      error: new DbError(DbErrorCodes.migrationFailed, 'failed', { cause: driverError('42601') }),
      kind: DbFailureKinds.permanent,
    },
  ])('$what is $kind', ({ error, kind }) => {
    expect(classifyDbError(error)).toBe(kind);
  });

  it('keeps name, code and cause', () => {
    const cause = driverError('55P03');
    const error = new DbError(DbErrorCodes.migrationLockTimeout, 'busy', { cause });
    expect(error.name).toBe('DbError');
    expect(error.code).toBe('DB_ERR_MIGRATION_LOCK_TIMEOUT');
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it('says on the error itself whether it is transient, for callers that map errors generically', () => {
    expect(new DbError(DbErrorCodes.idempotencyInProgress, 'running').transient).toBe(true);
    expect(new DbError(DbErrorCodes.timeout, 'slow').transient).toBe(true);
    expect(new DbError(DbErrorCodes.idempotencyConflict, 'other body').transient).toBe(false);
    expect(new DbError(DbErrorCodes.migrationFailed, 'failed', { cause: driverError('55P03') }).transient).toBe(false);
  });
});
