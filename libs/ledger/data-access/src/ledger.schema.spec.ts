// Proves the ledger schema's TypeScript side: the `minorUnits` column type maps numeric text to
// bigint and back exactly, far beyond 2^53 and up to 39 digits, and refuses anything that is not an
// integer; the account kinds, transfer codes and transfer kinds are exactly those the event
// contracts publish, so an event can always carry what the table holds.
import { describe, expect, it } from 'vitest';
import { accountKindSchema, transferCodeSchema, transferKindSchema } from '@strongbox/shared-contracts';
import { AccountKinds, accountsTable, MINOR_UNITS_COLUMN_MAX, SYSTEM_ACCOUNT_KINDS, TransferCodes, TransferKinds, USER_ACCOUNT_KINDS } from './ledger.schema';

const column = accountsTable.debitsPosted;

describe('minorUnits', () => {
  it.each([
    ['0', 0n],
    ['9007199254740993', 9_007_199_254_740_993n],
    ['-12', -12n],
    [MINOR_UNITS_COLUMN_MAX.toString(), MINOR_UNITS_COLUMN_MAX],
  ])('maps %s to %s and back without loss', (text, value) => {
    expect(column.mapFromDriverValue(text)).toBe(value);
    expect(column.mapToDriverValue(value)).toBe(text);
  });

  it.each(['1.5', '1e3', '', ' 1', '12.0', 'NaN'])('refuses %j from the database', (text) => {
    expect(() => column.mapFromDriverValue(text)).toThrow(/not an integer amount/);
  });

  it('refuses a number going to the database', () => {
    expect(() => column.mapToDriverValue(1 as unknown as bigint)).toThrow(/must be a bigint/);
  });

  it('is a numeric(39, 0) column', () => {
    expect(column.getSQLType()).toBe('numeric(39, 0)');
  });
});

describe('names shared with the event contracts', () => {
  it('account kinds are the contract’s, split into user and system kinds', () => {
    expect(Object.values(AccountKinds).sort()).toEqual([...accountKindSchema.options].sort());
    expect([...USER_ACCOUNT_KINDS, ...SYSTEM_ACCOUNT_KINDS].sort()).toEqual(Object.values(AccountKinds).sort());
  });

  it('transfer codes and kinds are the contract’s', () => {
    expect(Object.values(TransferCodes).sort()).toEqual([...transferCodeSchema.options].sort());
    expect(Object.values(TransferKinds).sort()).toEqual([...transferKindSchema.options].sort());
  });
});
