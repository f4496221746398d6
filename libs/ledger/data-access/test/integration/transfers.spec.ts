// Proves createTransfers against the real PostgreSQL (one migrated random schema for the file):
// a single transfer and a linked batch move money and enqueue one `transfer posted` per transfer and
// one `balance changed` per touched user account; a batch whose last transfer fails leaves nothing
// behind; and every refusal (each LedgerError code) comes with its details and changes nothing —
// the transfer count, the totals and the outbox are compared before and after each refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceChangedV1, transferPostedV1 } from '@strongbox/shared-contracts';
import { AMOUNT_MINOR_MAX, newId } from '@strongbox/shared-domain';
import {
  AccountKinds,
  checkInvariants,
  createTransfers,
  getAccounts,
  LedgerErrorCodes,
  TRANSFERS_PER_CALL_MAX,
  TransferCodes,
  type TransferInput,
} from '../../src/index';
import {
  countRows,
  deposit,
  expectLedgerError,
  freshLedger,
  inTx,
  openUser,
  outboxEvents,
  systemAccount,
  transfer,
  type LedgerTestContext,
} from '../support/ledger.harness';

let context: LedgerTestContext;

beforeAll(async () => {
  context = await freshLedger();
});

afterAll(async () => {
  await context.dispose();
});

async function balances(...ids: string[]): Promise<Array<{ id: string; available: bigint; debitsPosted: bigint; creditsPosted: bigint; debitsPending: bigint; creditsPending: bigint }>> {
  const accounts = await inTx(context, (tx) => getAccounts(tx, ids));
  return accounts.map(({ id, available, debitsPosted, creditsPosted, debitsPending, creditsPending }) => ({
    id,
    available,
    debitsPosted,
    creditsPosted,
    debitsPending,
    creditsPending,
  }));
}

/** Everything a refused call must leave unchanged. */
async function snapshot(ids: string[]): Promise<unknown> {
  return { transfers: await countRows(context, 'transfers'), outbox: await countRows(context, 'outbox'), balances: await balances(...ids) };
}

describe('createTransfers: moving money', () => {
  it('posts a single transfer: totals move, the transfer is stored as given, and both events are enqueued', async () => {
    const alice = await openUser(context);
    const bob = await openUser(context);
    await deposit(context, alice.available, 100n);
    const outboxBefore = await countRows(context, 'outbox');

    const id = newId();
    const [posted] = await transfer(context, [
      { id, debitAccountId: alice.available, creditAccountId: bob.available, amount: 30n, code: TransferCodes.internalTransfer, reference: 'note-1', metadata: { note: 'lunch' } },
    ]);

    expect(posted).toMatchObject({
      id,
      debitAccountId: alice.available,
      creditAccountId: bob.available,
      amount: 30n,
      asset: 'USDT',
      code: 'internal_transfer',
      kind: 'single',
      pending: false,
      pendingId: null,
      timeoutAt: null,
      reference: 'note-1',
      metadata: { note: 'lunch' },
    });
    expect(await balances(alice.available, bob.available)).toEqual([
      { id: alice.available, available: 70n, debitsPosted: 30n, creditsPosted: 100n, debitsPending: 0n, creditsPending: 0n },
      { id: bob.available, available: 30n, debitsPosted: 0n, creditsPosted: 30n, debitsPending: 0n, creditsPending: 0n },
    ]);

    const events = (await outboxEvents(context)).slice(outboxBefore);
    expect(events.map((event) => event.type)).toEqual([transferPostedV1.type, balanceChangedV1.type, balanceChangedV1.type]);
    expect(events[0]).toMatchObject({
      subject: id,
      data: {
        transferId: id,
        batchId: posted!.batchId,
        kind: 'single',
        code: 'internal_transfer',
        amount: '30',
        debit: { accountId: alice.available, kind: 'user_available', userId: alice.userId },
        credit: { accountId: bob.available, kind: 'user_available', userId: bob.userId },
        reference: 'note-1',
        metadata: { note: 'lunch' },
      },
    });
    expect(events.slice(1).map((event) => [event.subject, event.data])).toEqual([
      [
        alice.userId,
        expect.objectContaining({ accountId: alice.available, available: '70', creditsPosted: '100', debitsPosted: '30', transferIds: [id] }),
      ],
      [bob.userId, expect.objectContaining({ accountId: bob.available, available: '30', creditsPosted: '30', transferIds: [id] })],
    ]);
    // The events are valid against their own contracts.
    const raw = await context.sql<Array<{ event: unknown }>>`select event from outbox order by seq offset ${outboxBefore}`;
    expect(() => transferPostedV1.parse(raw[0]!.event)).not.toThrow();
    expect(() => balanceChangedV1.parse(raw[1]!.event)).not.toThrow();
  });

  it('posts linked transfers together in one batch, each seeing the ones before it (a credit then a debit of it)', async () => {
    const alice = await openUser(context);
    const bob = await openUser(context);
    const fees = await systemAccount(context, 'USDT', AccountKinds.fees);
    const clearing = await systemAccount(context, 'USDT', AccountKinds.depositsClearing);
    const outboxBefore = await countRows(context, 'outbox');

    // Alice has nothing; the first transfer funds her, the next two spend all of it.
    const posted = await transfer(context, [
      { id: newId(), debitAccountId: clearing, creditAccountId: alice.available, amount: 50n, code: TransferCodes.deposit },
      { id: newId(), debitAccountId: alice.available, creditAccountId: bob.available, amount: 45n, code: TransferCodes.internalTransfer },
      { id: newId(), debitAccountId: alice.available, creditAccountId: fees, amount: 5n, code: TransferCodes.withdrawalFee },
    ]);

    expect(posted).toHaveLength(3);
    expect(new Set(posted.map((row) => row.batchId)).size).toBe(1);
    expect((await balances(alice.available, bob.available)).map((row) => row.available)).toEqual([0n, 45n]);
    const events = (await outboxEvents(context)).slice(outboxBefore);
    expect(events.filter((event) => event.type === transferPostedV1.type)).toHaveLength(3);
    const balanceEvents = events.filter((event) => event.type === balanceChangedV1.type);
    // One per touched user account, with every transfer of the call that touched it.
    expect(balanceEvents.map((event) => [event.data['accountId'], event.data['transferIds']])).toEqual([
      [alice.available, posted.map((row) => row.id)],
      [bob.available, [posted[1]!.id]],
    ]);
  });

  it('commits nothing of a batch whose last transfer is refused', async () => {
    const alice = await openUser(context);
    const bob = await openUser(context);
    await deposit(context, alice.available, 10n);
    const before = await snapshot([alice.available, bob.available]);

    await expectLedgerError(
      transfer(context, [
        { id: newId(), debitAccountId: alice.available, creditAccountId: bob.available, amount: 6n, code: TransferCodes.internalTransfer },
        { id: newId(), debitAccountId: alice.available, creditAccountId: bob.available, amount: 5n, code: TransferCodes.internalTransfer },
      ]),
      LedgerErrorCodes.insufficientFunds,
    );

    expect(await snapshot([alice.available, bob.available])).toEqual(before);
  });

  it('moves money between a user account and its locked account, and lets system accounts go negative', async () => {
    const alice = await openUser(context);
    const interest = await systemAccount(context, 'USDT', AccountKinds.planInterestExpense);
    await transfer(context, [{ id: newId(), debitAccountId: interest, creditAccountId: alice.locked, amount: 7n, code: TransferCodes.planAccrual }]);
    await transfer(context, [{ id: newId(), debitAccountId: alice.locked, creditAccountId: alice.available, amount: 7n, code: TransferCodes.planMaturity }]);

    const [available, locked, expense] = await balances(alice.available, alice.locked, interest);
    expect(available!.available).toBe(7n);
    expect(locked!.available).toBe(0n);
    expect(expense!.debitsPosted - expense!.creditsPosted).toBeGreaterThanOrEqual(7n);
  });
});

describe('createTransfers: refusals change nothing', () => {
  let alice: Awaited<ReturnType<typeof openUser>>;
  let bob: Awaited<ReturnType<typeof openUser>>;

  beforeAll(async () => {
    alice = await openUser(context);
    bob = await openUser(context);
    await deposit(context, alice.available, 100n);
  });

  const plain = (overrides: Partial<TransferInput> = {}): TransferInput => ({
    id: newId(),
    debitAccountId: alice.available,
    creditAccountId: bob.available,
    amount: 1n,
    code: TransferCodes.internalTransfer,
    ...overrides,
  });

  async function expectRefused(transfers: TransferInput[], code: (typeof LedgerErrorCodes)[keyof typeof LedgerErrorCodes]) {
    const before = await snapshot([alice.available, bob.available]);
    const error = await expectLedgerError(transfer(context, transfers), code);
    expect(await snapshot([alice.available, bob.available])).toEqual(before);
    return error;
  }

  it('LEDGER_ERR_INSUFFICIENT_FUNDS names the account, what it has and what was asked', async () => {
    const error = await expectRefused([plain({ amount: 101n })], LedgerErrorCodes.insufficientFunds);
    expect(error.details).toMatchObject({ accountId: alice.available, available: '100', requested: '101' });
  });

  it.each([
    ['a zero amount', { amount: 0n }],
    ['a negative amount', { amount: -5n }],
    ['a number instead of a bigint', { amount: 5 as unknown as bigint }],
    ['no accounts', { creditAccountId: undefined, debitAccountId: undefined }],
    ['an unknown code', { code: 'gift' as unknown as 'deposit' }],
    ['an id that is not a UUIDv7', { id: '6ba7b810-9dad-11d1-80b4-00c04fd430c8' }],
    ['a post and a hold at once', { pending: {}, postPendingId: newId() }],
    ['a timeout in the past', { pending: { timeoutAt: new Date(Date.now() - 1_000) } }],
    ['too many metadata entries', { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v'])) }],
  ])('LEDGER_ERR_INVALID_TRANSFER for %s', async (_name, overrides) => {
    await expectRefused([plain(overrides as Partial<TransferInput>)], LedgerErrorCodes.invalidTransfer);
  });

  it('LEDGER_ERR_INVALID_TRANSFER when the debit and the credit account are one account', async () => {
    const error = await expectRefused([plain({ creditAccountId: alice.available })], LedgerErrorCodes.invalidTransfer);
    expect(error.details).toMatchObject({ accountId: alice.available });
  });

  it('LEDGER_ERR_ACCOUNT_NOT_FOUND names the missing account', async () => {
    const missing = newId();
    const error = await expectRefused([plain({ creditAccountId: missing })], LedgerErrorCodes.accountNotFound);
    expect(error.details).toMatchObject({ accountId: missing });
  });

  it('LEDGER_ERR_ASSET_MISMATCH names both assets', async () => {
    const euro = await openUser(context, 'EURT');
    const error = await expectRefused([plain({ creditAccountId: euro.available })], LedgerErrorCodes.assetMismatch);
    expect(error.details).toMatchObject({ debitAsset: 'USDT', creditAsset: 'EURT' });
  });

  it('LEDGER_ERR_TRANSFER_EXISTS for an id used before, even with the same body', async () => {
    const first = plain();
    await transfer(context, [first]);
    const error = await expectRefused([first], LedgerErrorCodes.transferExists);
    expect(error.details).toMatchObject({ transferId: first.id });
  });

  it('LEDGER_ERR_INVALID_TRANSFER for an id used twice in one call', async () => {
    const twice = plain();
    await expectRefused([twice, { ...twice }], LedgerErrorCodes.invalidTransfer);
  });

  it('LEDGER_ERR_LIMIT for more transfers than one call may link', async () => {
    const error = await expectRefused(
      Array.from({ length: TRANSFERS_PER_CALL_MAX + 1 }, () => plain()),
      LedgerErrorCodes.limit,
    );
    expect(error.details).toMatchObject({ max: String(TRANSFERS_PER_CALL_MAX) });
  });

  it('LEDGER_ERR_INVALID_TRANSFER for a transfer that would take a total beyond the largest amount', async () => {
    // Its own asset, so the huge totals stay out of the other tests' accounts.
    const whale = await openUser(context, 'BIGT');
    await deposit(context, whale.available, AMOUNT_MINOR_MAX, 'BIGT');
    const before = await countRows(context, 'transfers');
    const error = await expectLedgerError(deposit(context, whale.available, 1n, 'BIGT'), LedgerErrorCodes.invalidTransfer);
    expect(error.message).toMatch(/would exceed/);
    expect(await countRows(context, 'transfers')).toBe(before);
  });

  it('LEDGER_ERR_INVALID_TRANSFER for a call without transfers', async () => {
    await expectRefused([], LedgerErrorCodes.invalidTransfer);
  });

  it('keeps the invariants through all of it', async () => {
    const report = await checkInvariants(context.database.db);
    expect(report.violations).toEqual([]);
  });
});

describe('createTransfers: the caller passes a valid namespace', () => {
  it('refuses a malformed namespace before touching the database', async () => {
    const alice = await openUser(context);
    const before = await countRows(context, 'transfers');
    await expect(
      inTx(context, (tx) =>
        createTransfers(tx, {
          namespace: 'Bad Namespace',
          transfers: [{ id: newId(), debitAccountId: alice.available, creditAccountId: alice.locked, amount: 1n, code: TransferCodes.planOpen }],
        }),
      ),
    ).rejects.toThrow(/namespace/);
    expect(await countRows(context, 'transfers')).toBe(before);
  });
});
