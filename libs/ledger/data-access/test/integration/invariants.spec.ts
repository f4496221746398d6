// Proves checkInvariants can tell a correct ledger from a broken one. After ordinary activity it
// reports nothing (through drizzle and through a raw postgres.js pool alike). Then, each in a fresh
// schema, raw SQL breaks exactly one invariant — the totals no longer sum to zero, a transfer's
// asset differs from its accounts, a void releases another amount than was held, a user account
// goes below zero with its CHECK dropped, totals no longer equal the sums of the transfers — and
// the report names that invariant, and only that one.
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '@strongbox/shared-domain';
import { AccountKinds, checkInvariants, Invariants, TransferCodes, type InvariantViolation } from '../../src/index';
import { deposit, freshLedger, openUser, systemAccount, transfer, type LedgerTestContext } from '../support/ledger.harness';

const contexts: LedgerTestContext[] = [];

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.dispose();
});

/** A fresh ledger with a user holding 100 USDT, a hold of 10 on it, and the fees account. */
async function ledgerWithActivity() {
  const context = await freshLedger({ poolSizeMax: 2 });
  contexts.push(context);
  const user = await openUser(context);
  const other = await openUser(context);
  const fees = await systemAccount(context, 'USDT', AccountKinds.fees);
  await deposit(context, user.available, 100n);
  await transfer(context, [{ id: newId(), debitAccountId: user.available, creditAccountId: other.available, amount: 20n, code: TransferCodes.internalTransfer }]);
  const [hold] = await transfer(context, [{ id: newId(), debitAccountId: user.available, creditAccountId: fees, amount: 10n, code: TransferCodes.withdrawalFee, pending: {} }]);
  const [partial] = await transfer(context, [{ id: newId(), debitAccountId: user.available, creditAccountId: fees, amount: 5n, code: TransferCodes.withdrawalFee, pending: {} }]);
  await transfer(context, [{ id: newId(), postPendingId: partial!.id, amount: 3n, code: TransferCodes.withdrawalFee }]);
  return { context, user, other, fees, hold: hold! };
}

function invariantsOf(violations: InvariantViolation[]): string[] {
  return [...new Set(violations.map((violation) => violation.invariant))].sort();
}

/** Inserts a transfer row directly, bypassing the engine. */
async function rawTransfer(
  context: LedgerTestContext,
  row: { debit: string; credit: string; amount: bigint; asset?: string; kind?: string; pendingId?: string | null },
): Promise<void> {
  const kind = row.kind ?? 'single';
  await context.sql`
    insert into transfers (id, debit_account_id, credit_account_id, amount, asset, code, kind, pending, pending_id, batch_id)
    values (${newId()}, ${row.debit}, ${row.credit}, ${row.amount.toString()}, ${row.asset ?? 'USDT'}, 'manual_adjustment', ${kind},
      ${kind === 'pending'}, ${row.pendingId ?? null}, ${newId()})`;
}

describe('checkInvariants', () => {
  it('reports nothing for a ledger the engine wrote, through drizzle and through a raw pool', async () => {
    const { context } = await ledgerWithActivity();
    const report = await checkInvariants(context.database.db);
    expect(report.violations).toEqual([]);
    expect(report.checkedAt).toBeInstanceOf(Date);
    expect((await checkInvariants(context.sql)).violations).toEqual([]);
  });

  it('names ledger_sums_to_zero when a total changes alone (and the account no longer matches its transfers)', async () => {
    const { context, user } = await ledgerWithActivity();
    await context.sql`update accounts set credits_posted = credits_posted + 5 where id = ${user.available}`;
    const { violations } = await checkInvariants(context.sql);
    expect(invariantsOf(violations)).toEqual([Invariants.balancesMatchTransfers, Invariants.ledgerSumsToZero].sort());
    expect(violations.find((violation) => violation.invariant === Invariants.ledgerSumsToZero)!.detail).toBe(
      'asset USDT: posted debits - credits = -5, pending debits - credits = 0',
    );
  });

  it('names transfers_sum_to_zero for a transfer whose asset differs from its accounts', async () => {
    const { context, user, fees } = await ledgerWithActivity();
    await rawTransfer(context, { debit: user.available, credit: fees, amount: 5n, asset: 'EURT' });
    await context.sql`update accounts set debits_posted = debits_posted + 5 where id = ${user.available}`;
    await context.sql`update accounts set credits_posted = credits_posted + 5 where id = ${fees}`;
    const { violations } = await checkInvariants(context.database.db);
    expect(invariantsOf(violations)).toEqual([Invariants.transfersSumToZero]);
    expect(violations[0]!.detail).toMatch(/asset EURT differs from its accounts \(USDT, USDT\)/);
  });

  it('names transfers_sum_to_zero for a void that releases another amount than was held', async () => {
    const { context, user, fees, hold } = await ledgerWithActivity();
    await rawTransfer(context, { debit: user.available, credit: fees, amount: 9n, kind: 'void_pending', pendingId: hold.id });
    await context.sql`update accounts set debits_pending = debits_pending - 10 where id = ${user.available}`;
    await context.sql`update accounts set credits_pending = credits_pending - 10 where id = ${fees}`;
    const { violations } = await checkInvariants(context.database.db);
    expect(invariantsOf(violations)).toEqual([Invariants.transfersSumToZero]);
    expect(violations[0]!.detail).toMatch(/voids 9, not the 10 held/);
  });

  it('names no_disallowed_negative_balance for a user account below zero once its CHECK is gone', async () => {
    const { context, user, fees } = await ledgerWithActivity();
    await context.sql`alter table accounts drop constraint accounts_debits_within_credits_ck`;
    await rawTransfer(context, { debit: user.available, credit: fees, amount: 500n });
    await context.sql`update accounts set debits_posted = debits_posted + 500 where id = ${user.available}`;
    await context.sql`update accounts set credits_posted = credits_posted + 500 where id = ${fees}`;
    const { violations } = await checkInvariants(context.database.db);
    expect(invariantsOf(violations)).toEqual([Invariants.noDisallowedNegativeBalance]);
    expect(violations[0]!.detail).toMatch(new RegExp(`account ${user.available} \\(user_available, USDT\\): debits 523 \\+ pending 10 exceed credits 100`));
  });

  it('names balances_match_transfers for totals moved in a balanced pair without a transfer, and for a hold not counted', async () => {
    const { context, user, other, fees } = await ledgerWithActivity();
    await context.sql`update accounts set credits_posted = credits_posted + 5 where id = ${user.available}`;
    await context.sql`update accounts set debits_posted = debits_posted + 5 where id = ${fees}`;
    await rawTransfer(context, { debit: other.available, credit: fees, amount: 1n, kind: 'pending' });
    const { violations } = await checkInvariants(context.database.db);
    expect(invariantsOf(violations)).toEqual([Invariants.balancesMatchTransfers]);
    expect(violations.map((violation) => violation.detail.split(' ')[1]).sort()).toEqual([user.available, other.available, fees].sort());
  });
});
