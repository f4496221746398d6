// Proves the engine under real concurrency on a pool of 20 PostgreSQL connections. 200 holds of
// A each race against one user account funded with exactly 37·A: exactly 37 commit, 163 are refused
// with LEDGER_ERR_INSUFFICIENT_FUNDS, the account ends at exactly zero available, and a reader
// sampling the row in the database during the race never sees it below zero. Then hundreds of
// concurrent calls move money both ways between 10 accounts, singly and as linked pairs listed in
// opposite orders: none fails with a deadlock (or anything but an expected refusal), money is
// conserved, and the four invariants hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@strongbox/shared-domain';
import { AccountKinds, checkInvariants, getAccounts, LedgerError, LedgerErrorCodes, TransferCodes, type TransferInput } from '../../src/index';
import { deposit, freshLedger, inTx, openUser, systemAccount, transfer, type LedgerTestContext, type TestUser } from '../support/ledger.harness';

const POOL_SIZE = 20;

let context: LedgerTestContext;

beforeAll(async () => {
  context = await freshLedger({ poolSizeMax: POOL_SIZE });
});

afterAll(async () => {
  await context.dispose();
});

/** Settles every promise and sorts the outcomes: committed, refused by code, or anything else. */
async function outcomes(calls: Array<Promise<unknown>>): Promise<{ committed: number; refused: Map<string, number>; unexpected: unknown[] }> {
  const settled = await Promise.allSettled(calls);
  const refused = new Map<string, number>();
  const unexpected: unknown[] = [];
  let committed = 0;
  for (const result of settled) {
    if (result.status === 'fulfilled') committed += 1;
    else if (result.reason instanceof LedgerError) refused.set(result.reason.code, (refused.get(result.reason.code) ?? 0) + 1);
    else unexpected.push(result.reason);
  }
  return { committed, refused, unexpected };
}

describe('concurrency', () => {
  it('200 concurrent holds against a balance covering 37: exactly 37 commit, the rest are refused, available ends at 0 and never goes below', async () => {
    const amount = 1_000_000n;
    const user = await openUser(context);
    const inFlight = await systemAccount(context, 'USDT', AccountKinds.withdrawalsInFlight);
    await deposit(context, user.available, 37n * amount);

    // A separate connection samples the account's available while the holds race.
    let racing = true;
    const samples: bigint[] = [];
    const sampler = (async () => {
      while (racing) {
        const [row] = await context.sql<Array<{ available: string }>>`
          select (credits_posted - debits_posted - debits_pending)::text as available from accounts where id = ${user.available}`;
        samples.push(BigInt(row!.available));
      }
    })();

    const result = await outcomes(
      Array.from({ length: 200 }, () =>
        transfer(context, [
          { id: newId(), debitAccountId: user.available, creditAccountId: inFlight, amount, code: TransferCodes.withdrawal, pending: {}, reference: newId() },
        ]),
      ),
    );
    racing = false;
    await sampler;

    expect(result.unexpected).toEqual([]);
    expect(result.committed).toBe(37);
    expect(Object.fromEntries(result.refused)).toEqual({ [LedgerErrorCodes.insufficientFunds]: 163 });
    const [account] = await inTx(context, (tx) => getAccounts(tx, [user.available]));
    expect(account).toMatchObject({ available: 0n, debitsPending: 37n * amount, debitsPosted: 0n, creditsPosted: 37n * amount });
    expect(samples.length).toBeGreaterThan(0);
    expect(samples.every((available) => available >= 0n)).toBe(true);
    const [holds] = await context.sql<Array<{ count: string }>>`
      select count(*)::text as count from transfers where debit_account_id = ${user.available} and kind = 'pending'`;
    expect(holds!.count).toBe('37');
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  });

  it('transfers both ways and linked pairs in opposite orders across 10 accounts never deadlock, and money is conserved', async () => {
    const users: TestUser[] = [];
    for (let index = 0; index < 10; index += 1) users.push(await openUser(context, 'EURT'));
    const fees = await systemAccount(context, 'EURT', AccountKinds.fees);
    for (const user of users) await deposit(context, user.available, 1_000n, 'EURT');
    const accounts = users.map((user) => user.available);

    // A deterministic mix: a pair of accounts (a, b) moves money a→b and b→a, alone and linked, in
    // both listing orders, plus a linked fee to a shared system account, so lock sets overlap.
    const calls: TransferInput[][] = [];
    const move = (from: string, to: string, amount: bigint): TransferInput => ({
      id: newId(),
      debitAccountId: from,
      creditAccountId: to,
      amount,
      code: TransferCodes.internalTransfer,
    });
    for (let round = 0; round < 30; round += 1) {
      for (let index = 0; index < accounts.length; index += 1) {
        const a = accounts[index]!;
        const b = accounts[(index + 1 + (round % (accounts.length - 1))) % accounts.length]!;
        // A third account, different from both.
        const c = [3, 4, 5].map((step) => accounts[(index + step) % accounts.length]!).find((account) => account !== b)!;
        switch (round % 4) {
          case 0:
            calls.push([move(a, b, 7n)], [move(b, a, 5n)]);
            break;
          case 1:
            calls.push([move(a, b, 3n), move(b, a, 2n)], [move(b, a, 3n), move(a, b, 2n)]);
            break;
          case 2:
            calls.push([move(a, b, 4n), move(c, a, 1n)], [move(c, b, 1n), move(b, c, 4n)]);
            break;
          default:
            calls.push([move(a, b, 2n), { ...move(a, fees, 1n), code: TransferCodes.withdrawalFee }], [move(b, a, 2n)]);
        }
      }
    }

    const result = await outcomes(calls.map((transfers) => transfer(context, transfers)));
    expect(result.unexpected).toEqual([]);
    expect([...result.refused.keys()].filter((code) => code !== LedgerErrorCodes.insufficientFunds)).toEqual([]);
    expect(result.committed).toBeGreaterThan(calls.length / 2);

    const balances = await inTx(context, (tx) => getAccounts(tx, [...accounts, fees]));
    const userTotal = balances.slice(0, accounts.length).reduce((sum, account) => sum + account.available, 0n);
    const feeTotal = balances.at(-1)!.creditsPosted - balances.at(-1)!.debitsPosted;
    expect(userTotal + feeTotal).toBe(10_000n);
    expect(balances.every((account) => account.available >= 0n || account.id === fees)).toBe(true);
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  });
});
