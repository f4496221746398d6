// Proves the account operations and reads against the real PostgreSQL: openUserAccounts opens an
// available and a locked account per asset, both limited, publishes `account opened` once and
// nothing on a repeat; a user from before locked accounts existed gets them without a second event;
// ensureSystemAccounts is idempotent, also when run concurrently; systemAccountId, getAccounts and
// getUserAccounts return what was opened with balances and `available`; listTransfers pages an
// account's history newest first from both sides without gaps or repeats. Malformed arguments are
// refused with LEDGER_ERR_INVALID_ARGUMENT or LEDGER_ERR_LIMIT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountOpenedV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import {
  ACCOUNTS_PER_READ_MAX,
  AccountKinds,
  ensureSystemAccounts,
  getAccounts,
  getUserAccounts,
  LedgerErrorCodes,
  listTransfers,
  openUserAccounts,
  SYSTEM_ACCOUNT_KINDS,
  systemAccountId,
  TRANSFERS_PAGE_MAX,
  TransferCodes,
} from '../../src/index';
import { countRows, deposit, expectLedgerError, freshLedger, inTx, openUser, outboxEvents, transfer, type LedgerTestContext } from '../support/ledger.harness';

let context: LedgerTestContext;

beforeAll(async () => {
  context = await freshLedger({ poolSizeMax: 6 });
});

afterAll(async () => {
  await context.dispose();
});

describe('openUserAccounts', () => {
  it('opens a limited available and locked account per asset, and publishes `account opened` once', async () => {
    const userId = newId();
    const outboxBefore = await countRows(context, 'outbox');
    const open = () => inTx(context, (tx) => openUserAccounts(tx, { namespace: context.namespace, userId, assets: ['USDT', 'EURT'], causationId: newId() }));

    const first = await open();
    expect(first.opened.map((account) => [account.asset, account.kind, account.userId, account.debitsMustNotExceedCredits]).sort()).toEqual([
      ['EURT', 'user_available', userId, true],
      ['EURT', 'user_locked', userId, true],
      ['USDT', 'user_available', userId, true],
      ['USDT', 'user_locked', userId, true],
    ]);
    expect((await open()).opened).toEqual([]);

    const events = (await outboxEvents(context)).slice(outboxBefore);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: accountOpenedV1.type, subject: userId });
    const available = first.opened.filter((account) => account.kind === AccountKinds.userAvailable);
    expect((events[0]!.data['accounts'] as unknown[]).length).toBe(2);
    expect(events[0]!.data['accounts']).toEqual(expect.arrayContaining(available.map((account) => ({ accountId: account.id, asset: account.asset }))));
  });

  it('gives a user opened before locked accounts existed the locked account, without a second event', async () => {
    const userId = newId();
    const legacyId = newId();
    await context.sql`insert into accounts (id, user_id, asset, kind, debits_must_not_exceed_credits) values (${legacyId}, ${userId}, 'USDT', 'user_available', true)`;
    const outboxBefore = await countRows(context, 'outbox');
    const { opened } = await inTx(context, (tx) => openUserAccounts(tx, { namespace: context.namespace, userId, assets: ['USDT'], causationId: newId() }));
    expect(opened.map((account) => account.kind)).toEqual(['user_locked']);
    expect(await countRows(context, 'outbox')).toBe(outboxBefore);
    expect((await inTx(context, (tx) => getUserAccounts(tx, userId))).map((account) => account.id)).toContain(legacyId);
  });

  it('refuses malformed input', async () => {
    const bad = [
      { userId: 'not-a-uuid', assets: ['USDT'] },
      { userId: newId(), assets: [] },
      { userId: newId(), assets: ['usdt'] },
    ];
    for (const input of bad) {
      await expectLedgerError(
        inTx(context, (tx) => openUserAccounts(tx, { namespace: context.namespace, causationId: newId(), ...input })),
        LedgerErrorCodes.invalidArgument,
      );
    }
    await expectLedgerError(
      inTx(context, (tx) =>
        openUserAccounts(tx, { namespace: context.namespace, causationId: newId(), userId: newId(), assets: Array.from({ length: 33 }, (_, index) => `A${index}X`) }),
      ),
      LedgerErrorCodes.limit,
    );
  });
});

describe('system accounts', () => {
  it('ensureSystemAccounts opens one account per kind and asset, once, also when run concurrently', async () => {
    const runs = await Promise.all(Array.from({ length: 4 }, () => inTx(context, (tx) => ensureSystemAccounts(tx, ['GBPT', 'JPYT']))));
    for (const accounts of runs) {
      expect(accounts).toHaveLength(2 * SYSTEM_ACCOUNT_KINDS.length);
      expect(accounts.map((account) => account.id)).toEqual(runs[0]!.map((account) => account.id));
      expect(accounts.every((account) => account.userId === null && !account.debitsMustNotExceedCredits && !account.creditsMustNotExceedDebits)).toBe(true);
    }
    const id = await inTx(context, (tx) => systemAccountId(tx, 'GBPT', AccountKinds.negativeExposure));
    expect(runs[0]!.find((account) => account.asset === 'GBPT' && account.kind === 'negative_exposure')!.id).toBe(id);
  });

  it('systemAccountId refuses an asset without system accounts and a user kind', async () => {
    const error = await expectLedgerError(inTx(context, (tx) => systemAccountId(tx, 'NONE', AccountKinds.fees)), LedgerErrorCodes.accountNotFound);
    expect(error.details).toEqual({ asset: 'NONE', kind: 'fees' });
    await expectLedgerError(
      inTx(context, (tx) => systemAccountId(tx, 'USDT', AccountKinds.userAvailable as unknown as 'fees')),
      LedgerErrorCodes.invalidArgument,
    );
  });
});

describe('reading balances', () => {
  it('getAccounts returns balances and available in the order asked, leaving out unknown ids', async () => {
    const alice = await openUser(context);
    await deposit(context, alice.available, 100n);
    await transfer(context, [{ id: newId(), debitAccountId: alice.available, creditAccountId: alice.locked, amount: 30n, code: TransferCodes.planOpen, pending: {} }]);
    const accounts = await inTx(context, (tx) => getAccounts(tx, [alice.locked, newId(), alice.available]));
    expect(accounts.map((account) => [account.id, account.available, account.creditsPending])).toEqual([
      [alice.locked, 0n, 30n],
      [alice.available, 70n, 0n],
    ]);
    expect(await inTx(context, (tx) => getAccounts(tx, []))).toEqual([]);
    await expectLedgerError(inTx(context, (tx) => getAccounts(tx, ['nope'])), LedgerErrorCodes.invalidArgument);
    await expectLedgerError(
      inTx(context, (tx) => getAccounts(tx, Array.from({ length: ACCOUNTS_PER_READ_MAX + 1 }, () => newId()))),
      LedgerErrorCodes.limit,
    );
  });

  it('getUserAccounts lists a user’s accounts by asset and kind, or one asset’s', async () => {
    const userId = newId();
    await inTx(context, (tx) => openUserAccounts(tx, { namespace: context.namespace, userId, assets: ['USDT', 'EURT'], causationId: newId() }));
    const all = await inTx(context, (tx) => getUserAccounts(tx, userId));
    expect(all.map((account) => `${account.asset}/${account.kind}/${account.available}`)).toEqual([
      'EURT/user_available/0',
      'EURT/user_locked/0',
      'USDT/user_available/0',
      'USDT/user_locked/0',
    ]);
    const usdt = await inTx(context, (tx) => getUserAccounts(tx, userId, 'USDT'));
    expect(usdt.map((account) => account.kind)).toEqual(['user_available', 'user_locked']);
    expect(await inTx(context, (tx) => getUserAccounts(tx, newId()))).toEqual([]);
  });
});

describe('listTransfers', () => {
  it('pages an account’s transfers (both sides) newest first, without gaps or repeats', async () => {
    const alice = await openUser(context);
    const bob = await openUser(context);
    await deposit(context, alice.available, 1_000n);
    const ids: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const [from, to] = index % 2 === 0 ? [alice.available, bob.available] : [bob.available, alice.available];
      const [posted] = await transfer(context, [{ id: newId(), debitAccountId: from, creditAccountId: to, amount: 1n, code: TransferCodes.internalTransfer }]);
      ids.push(posted!.id);
    }
    // Bob's history is exactly these seven; Alice's also has her deposit.
    const seen: string[] = [];
    let beforeId: string | undefined;
    const pageSizes: number[] = [];
    for (;;) {
      const page = await inTx(context, (tx) => listTransfers(tx, bob.available, { limit: 3, ...(beforeId === undefined ? {} : { beforeId }) }));
      pageSizes.push(page.transfers.length);
      seen.push(...page.transfers.map((row) => row.id));
      if (page.nextBeforeId === null) break;
      beforeId = page.nextBeforeId;
    }
    expect(pageSizes).toEqual([3, 3, 1]);
    expect(seen).toEqual([...ids].reverse());

    const exact = await inTx(context, (tx) => listTransfers(tx, alice.available, { limit: 8 }));
    expect(exact.transfers).toHaveLength(8);
    expect(exact.nextBeforeId).toBeNull();
  });

  it('refuses an unknown account, a malformed cursor and a page size out of range', async () => {
    await expectLedgerError(inTx(context, (tx) => listTransfers(tx, newId(), { limit: 10 })), LedgerErrorCodes.accountNotFound);
    const alice = await openUser(context);
    await expectLedgerError(inTx(context, (tx) => listTransfers(tx, alice.available, { limit: 10, beforeId: 'x' })), LedgerErrorCodes.invalidArgument);
    await expectLedgerError(inTx(context, (tx) => listTransfers(tx, alice.available, { limit: 0 })), LedgerErrorCodes.invalidArgument);
    await expectLedgerError(inTx(context, (tx) => listTransfers(tx, alice.available, { limit: TRANSFERS_PAGE_MAX + 1 })), LedgerErrorCodes.limit);
  });
});
