// Proves the account id cache answers what it was told, ignores case in user ids, and never holds
// more than its limit (oldest out first). Pure, no I/O.
import { describe, expect, it } from 'vitest';
import { LedgerErrorCodes } from '@strongbox/ledger-data-access';
import { createAvailableAccountIds } from './account-ids.cache';

const USER_A = '0190f6a4-8c1e-7b3a-9c2d-1a2b3c4d5e6f';
const USER_B = '0190f6a4-8c1e-7b3a-9c2d-1a2b3c4d5e70';
const USER_C = '0190f6a4-8c1e-7b3a-9c2d-1a2b3c4d5e71';

describe('createAvailableAccountIds', () => {
  it('answers only what it was told, per user and asset, whatever the case of the user id', () => {
    const ids = createAvailableAccountIds();
    expect(ids.get(USER_A, 'USDT')).toBeUndefined();
    ids.remember(USER_A.toUpperCase(), 'USDT', 'account-a');
    expect(ids.get(USER_A, 'USDT')).toBe('account-a');
    expect(ids.get(USER_A, 'USDC')).toBeUndefined();
    expect(ids.get(USER_B, 'USDT')).toBeUndefined();
  });

  it('keeps at most its limit, dropping the oldest entry first', () => {
    const ids = createAvailableAccountIds(2);
    ids.remember(USER_A, 'USDT', 'account-a');
    ids.remember(USER_B, 'USDT', 'account-b');
    ids.remember(USER_A, 'USDT', 'account-a');
    ids.remember(USER_C, 'USDT', 'account-c');
    expect(ids.get(USER_A, 'USDT')).toBeUndefined();
    expect(ids.get(USER_B, 'USDT')).toBe('account-b');
    expect(ids.get(USER_C, 'USDT')).toBe('account-c');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', (entriesMax) => {
    expect(() => createAvailableAccountIds(entriesMax)).toThrow(expect.objectContaining({ code: LedgerErrorCodes.invalidArgument }));
  });
});
