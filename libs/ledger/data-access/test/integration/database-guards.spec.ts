// Proves the database itself keeps the ledger's rules, whoever writes: raw SQL that would take a
// user account below zero, make a total negative, open a user account without its limit, write a
// malformed transfer, resolve a hold twice, or change or delete a transfer fails with the named
// constraint or the immutability trigger. It also proves the engine treats the database as the
// last guard: with a test-only trigger that corrupts the balance update behind the engine's back,
// a CHECK violation comes back as LEDGER_ERR_INSUFFICIENT_FUNDS, and totals that differ from
// what the engine computed abort the call with LedgerInvariantError. Nothing of it is committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@strongbox/shared-domain';
import { AccountKinds, getAccounts, LedgerErrorCodes, LedgerInvariantError, TransferCodes } from '../../src/index';
import { countRows, deposit, expectLedgerError, freshLedger, inTx, openUser, systemAccount, transfer, type LedgerTestContext, type TestUser } from '../support/ledger.harness';

let context: LedgerTestContext;
let user: TestUser;
let fees: string;

beforeAll(async () => {
  context = await freshLedger();
  user = await openUser(context);
  fees = await systemAccount(context, 'USDT', AccountKinds.fees);
  await deposit(context, user.available, 100n);
});

afterAll(async () => {
  await context.dispose();
});

/** Runs raw SQL and returns the PostgreSQL error it fails with (the test fails if it succeeds). */
async function sqlError(run: () => Promise<unknown>): Promise<{ code: string; constraint_name?: string; message: string }> {
  const error = await run().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'the statement must fail').toBeDefined();
  return error as { code: string; constraint_name?: string; message: string };
}

describe('account checks', () => {
  it('refuses an UPDATE that takes a user account below zero (accounts_debits_within_credits_ck)', async () => {
    const error = await sqlError(() => context.sql`update accounts set debits_posted = debits_posted + 101 where id = ${user.available}`);
    expect(error).toMatchObject({ code: '23514', constraint_name: 'accounts_debits_within_credits_ck' });
    // A hold counts too: posted 0 + pending 101 > credits 100.
    const pending = await sqlError(() => context.sql`update accounts set debits_pending = 101 where id = ${user.available}`);
    expect(pending).toMatchObject({ code: '23514', constraint_name: 'accounts_debits_within_credits_ck' });
    const [row] = await inTx(context, (tx) => getAccounts(tx, [user.available]));
    expect(row).toMatchObject({ available: 100n, debitsPosted: 0n, debitsPending: 0n });
  });

  it('refuses a negative total on any account, a system account included (accounts_totals_non_negative_ck)', async () => {
    const error = await sqlError(() => context.sql`update accounts set credits_pending = -1 where id = ${fees}`);
    expect(error).toMatchObject({ code: '23514', constraint_name: 'accounts_totals_non_negative_ck' });
  });

  it('refuses a user account without its limit or owner, and a system account with an owner (accounts_kind_owner_ck)', async () => {
    const unlimited = await sqlError(
      () => context.sql`insert into accounts (id, user_id, asset, kind) values (${newId()}, ${newId()}, 'USDT', 'user_available')`,
    );
    expect(unlimited).toMatchObject({ code: '23514', constraint_name: 'accounts_kind_owner_ck' });
    const unowned = await sqlError(
      () => context.sql`insert into accounts (id, user_id, asset, kind, debits_must_not_exceed_credits) values (${newId()}, null, 'USDT', 'user_locked', true)`,
    );
    expect(unowned).toMatchObject({ code: '23514', constraint_name: 'accounts_kind_owner_ck' });
    const owned = await sqlError(() => context.sql`insert into accounts (id, user_id, asset, kind) values (${newId()}, ${newId()}, 'USDT', 'fees')`);
    expect(owned).toMatchObject({ code: '23514', constraint_name: 'accounts_kind_owner_ck' });
    const removeLimit = await sqlError(() => context.sql`update accounts set debits_must_not_exceed_credits = false where id = ${user.available}`);
    expect(removeLimit).toMatchObject({ code: '23514', constraint_name: 'accounts_kind_owner_ck' });
  });

  it('refuses a second system account of one kind and asset (accounts_system_asset_kind_uq)', async () => {
    const error = await sqlError(() => context.sql`insert into accounts (id, user_id, asset, kind) values (${newId()}, null, 'USDT', 'fees')`);
    expect(error).toMatchObject({ code: '23505', constraint_name: 'accounts_system_asset_kind_uq' });
  });
});

describe('transfer checks and immutability', () => {
  it('refuses a malformed transfer row: amount 0, one account on both sides, a hold resolved twice', async () => {
    const base = { debit: user.available, credit: fees, batch: newId() };
    const zero = await sqlError(
      () => context.sql`insert into transfers (id, debit_account_id, credit_account_id, amount, asset, code, kind, batch_id)
        values (${newId()}, ${base.debit}, ${base.credit}, 0, 'USDT', 'withdrawal_fee', 'single', ${base.batch})`,
    );
    expect(zero).toMatchObject({ code: '23514', constraint_name: 'transfers_amount_positive_ck' });
    const same = await sqlError(
      () => context.sql`insert into transfers (id, debit_account_id, credit_account_id, amount, asset, code, kind, batch_id)
        values (${newId()}, ${base.debit}, ${base.debit}, 1, 'USDT', 'withdrawal_fee', 'single', ${base.batch})`,
    );
    expect(same).toMatchObject({ code: '23514', constraint_name: 'transfers_accounts_differ_ck' });

    const [hold] = await transfer(context, [{ id: newId(), debitAccountId: user.available, creditAccountId: fees, amount: 1n, code: TransferCodes.withdrawalFee, pending: {} }]);
    await transfer(context, [{ id: newId(), voidPendingId: hold!.id, code: TransferCodes.withdrawalFee }]);
    const twice = await sqlError(
      () => context.sql`insert into transfers (id, debit_account_id, credit_account_id, amount, asset, code, kind, pending_id, batch_id)
        values (${newId()}, ${base.debit}, ${base.credit}, 1, 'USDT', 'withdrawal_fee', 'post_pending', ${hold!.id}, ${base.batch})`,
    );
    expect(twice).toMatchObject({ code: '23505', constraint_name: 'transfers_pending_id_uq' });
  });

  it('refuses UPDATE, DELETE and TRUNCATE of transfers (trigger)', async () => {
    const count = await countRows(context, 'transfers');
    expect(count).toBeGreaterThan(0);
    for (const statement of [
      () => context.sql`update transfers set amount = amount + 1`,
      () => context.sql`update transfers set reference = 'changed'`,
      () => context.sql`delete from transfers`,
      () => context.sql`truncate transfers cascade`,
    ]) {
      const error = await sqlError(statement);
      expect(error.code).toBe('23001');
      expect(error.message).toMatch(/transfers are immutable/);
    }
    expect(await countRows(context, 'transfers')).toBe(count);
  });
});

describe('the engine behind the database guard', () => {
  it('maps a CHECK violation it could not foresee to LEDGER_ERR_INSUFFICIENT_FUNDS and commits nothing', async () => {
    // A test-only trigger adds 1000 to every debit the engine writes, after its own checks passed.
    await context.sql.unsafe(`
      create function corrupt_debits() returns trigger language plpgsql as $$
      begin new.debits_posted := new.debits_posted + 1000; return new; end $$;
      create trigger corrupt_debits_trg before update on accounts for each row
        when (new.debits_posted <> old.debits_posted) execute function corrupt_debits();`);
    try {
      const before = await countRows(context, 'transfers');
      const error = await expectLedgerError(
        transfer(context, [{ id: newId(), debitAccountId: user.available, creditAccountId: fees, amount: 1n, code: TransferCodes.withdrawalFee }]),
        LedgerErrorCodes.insufficientFunds,
      );
      expect(error.details).toMatchObject({ accountId: user.available, constraint: 'accounts_debits_within_credits_ck' });
      expect(await countRows(context, 'transfers')).toBe(before);
    } finally {
      await context.sql.unsafe('drop trigger corrupt_debits_trg on accounts; drop function corrupt_debits();');
    }
  });

  it('refuses to commit totals that differ from what it computed under the lock (LedgerInvariantError)', async () => {
    // This one keeps within the limits (it adds credits), so only the engine's own comparison sees it.
    await context.sql.unsafe(`
      create function corrupt_credits() returns trigger language plpgsql as $$
      begin new.credits_posted := new.credits_posted + 1; return new; end $$;
      create trigger corrupt_credits_trg before update on accounts for each row execute function corrupt_credits();`);
    try {
      const before = await countRows(context, 'transfers');
      const failure = await transfer(context, [
        { id: newId(), debitAccountId: fees, creditAccountId: user.available, amount: 1n, code: TransferCodes.manualAdjustment },
      ]).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(failure).toBeInstanceOf(LedgerInvariantError);
      expect(await countRows(context, 'transfers')).toBe(before);
    } finally {
      await context.sql.unsafe('drop trigger corrupt_credits_trg on accounts; drop function corrupt_credits();');
    }
  });
});
