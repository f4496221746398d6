// Proves pending transfers (holds) against the real PostgreSQL: a hold moves money into the
// pending totals and out of `available`; posting it in part posts that part and returns the rest;
// posting in full and voiding release it whole; a hold is resolved at most once, also when two
// resolutions race on separate connections; a hold past its timeout can no longer be posted and is
// voided by voidExpiredPendingTransfers exactly once, even by concurrent runs. Time is passed in
// (`now`), so expiry is tested without waiting. The invariants hold at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferPostedV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import {
  AccountKinds,
  checkInvariants,
  getAccounts,
  LedgerError,
  LedgerErrorCodes,
  TransferCodes,
  voidExpiredPendingTransfers,
  type AccountBalance,
} from '../../src/index';
import { countRows, deposit, expectLedgerError, freshLedger, inTx, openUser, outboxEvents, systemAccount, transfer, type LedgerTestContext } from '../support/ledger.harness';

let context: LedgerTestContext;
let inFlight: string;

beforeAll(async () => {
  context = await freshLedger({ poolSizeMax: 6 });
  await openUser(context);
  inFlight = await systemAccount(context, 'USDT', AccountKinds.withdrawalsInFlight);
});

afterAll(async () => {
  await context.dispose();
});

async function account(id: string): Promise<AccountBalance> {
  const [row] = await inTx(context, (tx) => getAccounts(tx, [id]));
  return row!;
}

/** A funded user and a hold of `amount` from it to withdrawals-in-flight. */
async function userWithHold(funds: bigint, amount: bigint, timeoutAt?: Date, now?: Date) {
  const user = await openUser(context);
  await deposit(context, user.available, funds);
  const [hold] = await transfer(
    context,
    [
      {
        id: newId(),
        debitAccountId: user.available,
        creditAccountId: inFlight,
        amount,
        code: TransferCodes.withdrawal,
        pending: timeoutAt === undefined ? {} : { timeoutAt },
        reference: `wd-${newId()}`,
      },
    ],
    now,
  );
  return { user, hold: hold! };
}

describe('holds', () => {
  it('a hold reserves money: pending totals grow, available shrinks, posted totals stay', async () => {
    const inFlightBefore = await account(inFlight);
    const { user, hold } = await userWithHold(100n, 60n);
    expect(hold).toMatchObject({ kind: 'pending', pending: true, amount: 60n, pendingId: null });
    expect(await account(user.available)).toMatchObject({ creditsPosted: 100n, debitsPosted: 0n, debitsPending: 60n, available: 40n });
    expect((await account(inFlight)).creditsPending - inFlightBefore.creditsPending).toBe(60n);

    // The held money cannot be spent twice.
    const error = await expectLedgerError(
      transfer(context, [{ id: newId(), debitAccountId: user.available, creditAccountId: user.locked, amount: 41n, code: TransferCodes.planOpen }]),
      LedgerErrorCodes.insufficientFunds,
    );
    expect(error.details).toMatchObject({ available: '40', requested: '41' });
  });

  it('posting part of a hold posts that part and returns the rest to available', async () => {
    const inFlightBefore = await account(inFlight);
    const { user, hold } = await userWithHold(100n, 60n);
    const [post] = await transfer(context, [{ id: newId(), postPendingId: hold.id, amount: 45n, code: TransferCodes.withdrawal }]);

    expect(post).toMatchObject({ kind: 'post_pending', pendingId: hold.id, amount: 45n, debitAccountId: user.available, creditAccountId: inFlight, reference: null });
    expect(await account(user.available)).toMatchObject({ debitsPosted: 45n, debitsPending: 0n, available: 55n });
    const inFlightAfter = await account(inFlight);
    expect(inFlightAfter.creditsPosted - inFlightBefore.creditsPosted).toBe(45n);
    expect(inFlightAfter.creditsPending - inFlightBefore.creditsPending).toBe(0n);
  });

  it('posting with amount 0n (or none) posts the whole hold; given accounts must match the hold', async () => {
    const { user, hold } = await userWithHold(100n, 60n);
    await expectLedgerError(
      transfer(context, [{ id: newId(), postPendingId: hold.id, debitAccountId: user.locked, code: TransferCodes.withdrawal }]),
      LedgerErrorCodes.invalidTransfer,
    );
    const [post] = await transfer(context, [
      { id: newId(), postPendingId: hold.id, debitAccountId: user.available, creditAccountId: inFlight, amount: 0n, code: TransferCodes.withdrawal },
    ]);
    expect(post!.amount).toBe(60n);
    expect(await account(user.available)).toMatchObject({ debitsPosted: 60n, debitsPending: 0n, available: 40n });
  });

  it('refuses to post more than was held', async () => {
    const { hold } = await userWithHold(100n, 60n);
    const error = await expectLedgerError(
      transfer(context, [{ id: newId(), postPendingId: hold.id, amount: 61n, code: TransferCodes.withdrawal }]),
      LedgerErrorCodes.invalidTransfer,
    );
    expect(error.details).toMatchObject({ pendingAmount: '60', amount: '61' });
  });

  it('voiding releases the whole hold; a partial void is refused', async () => {
    const { user, hold } = await userWithHold(100n, 60n);
    await expectLedgerError(
      transfer(context, [{ id: newId(), voidPendingId: hold.id, amount: 59n, code: TransferCodes.withdrawal }]),
      LedgerErrorCodes.invalidTransfer,
    );
    const [voided] = await transfer(context, [{ id: newId(), voidPendingId: hold.id, code: TransferCodes.withdrawal }]);
    expect(voided).toMatchObject({ kind: 'void_pending', pendingId: hold.id, amount: 60n });
    expect(await account(user.available)).toMatchObject({ debitsPosted: 0n, debitsPending: 0n, available: 100n });
  });

  it('a resolved hold cannot be posted or voided again (LEDGER_ERR_PENDING_ALREADY_RESOLVED names the first resolution)', async () => {
    const { hold } = await userWithHold(100n, 60n);
    const [post] = await transfer(context, [{ id: newId(), postPendingId: hold.id, code: TransferCodes.withdrawal }]);
    for (const second of [{ postPendingId: hold.id }, { voidPendingId: hold.id }]) {
      const error = await expectLedgerError(
        transfer(context, [{ id: newId(), ...second, code: TransferCodes.withdrawal }]),
        LedgerErrorCodes.pendingAlreadyResolved,
      );
      expect(error.details).toMatchObject({ pendingId: hold.id, resolvedBy: post!.id });
    }
  });

  it('two resolutions of one hold in one call are refused', async () => {
    const { hold } = await userWithHold(100n, 60n);
    await expectLedgerError(
      transfer(context, [
        { id: newId(), postPendingId: hold.id, amount: 10n, code: TransferCodes.withdrawal },
        { id: newId(), voidPendingId: hold.id, code: TransferCodes.withdrawal },
      ]),
      LedgerErrorCodes.pendingAlreadyResolved,
    );
  });

  it('LEDGER_ERR_PENDING_NOT_FOUND for an unknown id and for a transfer that is not a hold', async () => {
    const user = await openUser(context);
    const funding = await deposit(context, user.available, 5n);
    for (const pendingId of [newId(), funding.id]) {
      const error = await expectLedgerError(
        transfer(context, [{ id: newId(), postPendingId: pendingId, code: TransferCodes.withdrawal }]),
        LedgerErrorCodes.pendingNotFound,
      );
      expect(error.details).toMatchObject({ pendingId });
    }
  });

  it('of two concurrent posts of one hold on separate connections, exactly one commits', async () => {
    const { user, hold } = await userWithHold(100n, 60n);
    const attempts = await Promise.allSettled(
      Array.from({ length: 4 }, () => transfer(context, [{ id: newId(), postPendingId: hold.id, code: TransferCodes.withdrawal }])),
    );
    const committed = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const refused = attempts.flatMap((attempt) => (attempt.status === 'rejected' ? [attempt.reason as unknown] : []));
    expect(committed).toHaveLength(1);
    expect(refused.map((reason) => (reason instanceof LedgerError ? reason.code : String(reason)))).toEqual([
      LedgerErrorCodes.pendingAlreadyResolved,
      LedgerErrorCodes.pendingAlreadyResolved,
      LedgerErrorCodes.pendingAlreadyResolved,
    ]);
    expect(await account(user.available)).toMatchObject({ debitsPosted: 60n, debitsPending: 0n, available: 40n });
    const resolutions = await context.sql`select id from transfers where pending_id = ${hold.id}`;
    expect(resolutions).toHaveLength(1);
  });
});

describe('expiry of holds', () => {
  const start = new Date('2031-01-01T00:00:00Z');
  const at = (seconds: number): Date => new Date(start.getTime() + seconds * 1_000);

  it('a hold past its timeout cannot be posted (LEDGER_ERR_PENDING_EXPIRED) but can still be voided by its owner', async () => {
    const { user, hold } = await userWithHold(100n, 60n, at(60), at(0));
    // Before the timeout a post would pass; at the timeout it is refused.
    const error = await expectLedgerError(
      transfer(context, [{ id: newId(), postPendingId: hold.id, code: TransferCodes.withdrawal }], at(60)),
      LedgerErrorCodes.pendingExpired,
    );
    expect(error.details).toMatchObject({ pendingId: hold.id, timeoutAt: at(60).toISOString() });
    await transfer(context, [{ id: newId(), voidPendingId: hold.id, code: TransferCodes.withdrawal }], at(61));
    expect(await account(user.available)).toMatchObject({ available: 100n, debitsPending: 0n });
  });

  it('voidExpiredPendingTransfers voids the expired holds, oldest first, once, and leaves the others alone', async () => {
    // Clear any expired hold left by other tests of this file, so the counts below are this test's.
    await inTx(context, (tx) => voidExpiredPendingTransfers(tx, { namespace: context.namespace, now: at(1_000), limit: 100 }));

    const soon = await userWithHold(100n, 10n, at(2_010), at(2_000));
    const later = await userWithHold(100n, 20n, at(2_020), at(2_000));
    const never = await userWithHold(100n, 30n, undefined, at(2_000));
    const postedInTime = await userWithHold(100n, 40n, at(2_005), at(2_000));
    await transfer(context, [{ id: newId(), postPendingId: postedInTime.hold.id, code: TransferCodes.withdrawal }], at(2_001));
    const outboxBefore = await countRows(context, 'outbox');

    const voidAt = (seconds: number, limit = 100) =>
      inTx(context, (tx) => voidExpiredPendingTransfers(tx, { namespace: context.namespace, now: at(seconds), limit }));
    expect(await voidAt(2_009)).toBe(0);
    expect(await voidAt(2_030, 1)).toBe(1);
    expect(await account(soon.user.available)).toMatchObject({ available: 100n, debitsPending: 0n });
    expect(await account(later.user.available)).toMatchObject({ available: 80n, debitsPending: 20n });
    expect(await voidAt(2_030)).toBe(1);
    expect(await voidAt(2_030)).toBe(0);
    expect(await account(later.user.available)).toMatchObject({ available: 100n, debitsPending: 0n });
    expect(await account(never.user.available)).toMatchObject({ available: 70n, debitsPending: 30n });
    expect(await account(postedInTime.user.available)).toMatchObject({ available: 60n, debitsPosted: 40n });

    const voids = (await outboxEvents(context)).slice(outboxBefore).filter((event) => event.type === transferPostedV1.type);
    expect(voids.map((event) => [event.data['kind'], event.data['pendingId'], event.data['code'], event.data['reference'], event.data['metadata']])).toEqual([
      ['void_pending', soon.hold.id, 'withdrawal', soon.hold.reference, { reason: 'expired' }],
      ['void_pending', later.hold.id, 'withdrawal', later.hold.reference, { reason: 'expired' }],
    ]);
  });

  it('concurrent expiry runs void each expired hold exactly once', async () => {
    await inTx(context, (tx) => voidExpiredPendingTransfers(tx, { namespace: context.namespace, now: at(3_000), limit: 100 }));
    const holds = [];
    for (let index = 0; index < 6; index += 1) holds.push(await userWithHold(10n, 10n, at(4_010), at(4_000)));

    const runs = await Promise.all(
      Array.from({ length: 3 }, () => inTx(context, (tx) => voidExpiredPendingTransfers(tx, { namespace: context.namespace, now: at(4_020), limit: 4 }))),
    );
    const total = runs.reduce((sum, count) => sum + count, 0);
    const rest = await inTx(context, (tx) => voidExpiredPendingTransfers(tx, { namespace: context.namespace, now: at(4_020), limit: 100 }));
    expect(total + rest).toBe(6);
    for (const { user } of holds) expect(await account(user.available)).toMatchObject({ available: 10n, debitsPending: 0n });
  });

  it('refuses a limit outside 1..100 with LEDGER_ERR_LIMIT', async () => {
    for (const limit of [0, 101, 1.5]) {
      await expectLedgerError(
        inTx(context, (tx) => voidExpiredPendingTransfers(tx, { namespace: context.namespace, now: at(0), limit })),
        LedgerErrorCodes.limit,
      );
    }
  });

  it('keeps the invariants through all of it', async () => {
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  });
});
