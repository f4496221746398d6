// Proves how database refusals become LedgerErrors, table-driven over PostgreSQL errors shaped as
// postgres.js reports them (and wrapped the way drizzle wraps them): each ledger constraint maps to
// its code with the id taken from the error detail; every other error is left alone.
import { describe, expect, it } from 'vitest';
import { LedgerErrorCodes } from './errors';
import { ledgerErrorFromDatabase } from './db-errors';

const id = '01900000-0000-7000-8000-000000000001';

function pgError(code: string, constraint: string, detail = `Failing row contains (${id}, null, USDT).`): Error {
  return Object.assign(new Error('postgres said no'), { code, constraint_name: constraint, detail });
}

function wrapped(error: Error): Error {
  return new Error('Failed query: insert …', { cause: error });
}

describe('ledgerErrorFromDatabase', () => {
  it.each([
    ['23514', 'accounts_debits_within_credits_ck', LedgerErrorCodes.insufficientFunds, { accountId: id, constraint: 'accounts_debits_within_credits_ck' }],
    ['23514', 'accounts_totals_non_negative_ck', LedgerErrorCodes.insufficientFunds, { accountId: id }],
    ['23505', 'transfers_pkey', LedgerErrorCodes.transferExists, { transferId: id }],
    ['23505', 'transfers_pending_id_uq', LedgerErrorCodes.pendingAlreadyResolved, { pendingId: id }],
    ['23503', 'transfers_pending_fk', LedgerErrorCodes.pendingNotFound, { pendingId: id }],
    ['23503', 'transfers_debit_account_fk', LedgerErrorCodes.accountNotFound, { accountId: id }],
  ])('maps %s on %s to %s', (code, constraint, expected, details) => {
    for (const error of [pgError(code, constraint), wrapped(pgError(code, constraint))]) {
      const mapped = ledgerErrorFromDatabase(error);
      expect(mapped?.code).toBe(expected);
      expect(mapped?.details).toMatchObject(details);
      expect(mapped?.cause).toBe(error);
    }
  });

  it.each([
    ['a check of another table', pgError('23514', 'transfers_amount_positive_ck')],
    ['a deadlock', pgError('40P01', '')],
    ['a unique index of another table', pgError('23505', 'outbox_event_id_uq')],
    ['a plain error', new Error('boom')],
    ['not an error', 'boom'],
  ])('leaves %s alone', (_name, error) => {
    expect(ledgerErrorFromDatabase(error)).toBeUndefined();
  });
});
