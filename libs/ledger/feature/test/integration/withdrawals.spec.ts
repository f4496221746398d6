// The withdrawal lifecycle through the ledger's operations on a real PostgreSQL schema: holds on
// request, limits that refuse, fraud rules that send to approval, approve, reject (holds released),
// cancel only before broadcast, and every refusal remembered with its idempotency key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { cancelWithdrawalV1, getWithdrawalTermsV1, LedgerCommandErrors, rejectWithdrawalV1, requestWithdrawalV1, approveWithdrawalV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { checkInvariants, withdrawalsTable } from '@strongbox/ledger-data-access';
import { createLedgerOperations, type LedgerOperations } from '../../src/index';
import { ASSET, balances, credit, freshPlans, fundedUser, type PlanTestContext } from '../support/plans.harness';

const ADDRESS = '0x00000000000000000000000000000000000000aA';
const FEE = 1_000n;
let context: PlanTestContext;
let ledger: LedgerOperations;

beforeAll(async () => {
  context = await freshPlans();
  ledger = createLedgerOperations({
    database: context.database,
    namespace: context.namespace,
    assets: [ASSET],
    withdrawalLimits: { minMinor: 10_000n, maxMinor: 1_000_000n, dailyMaxMinor: 1_500_000n, feeMinor: FEE },
    fraudRules: { velocityMaxPerHour: 100, afterDepositCoolingMs: 0 },
    now: () => context.clock.now,
  });
});

afterAll(async () => {
  const report = await checkInvariants(context.sql);
  expect(report.violations).toEqual([]);
  await context.dispose();
});

function request(userId: string, amount: string, key = `wd-${newId()}`) {
  return ledger.requestWithdrawal(requestWithdrawalV1.request.parse({ idempotencyKey: key, userId, asset: ASSET, amount, toAddress: ADDRESS }));
}

describe('withdrawals', () => {
  it('holds amount + fee on request; a first withdrawal to a new address waits for approval', async () => {
    const userId = await fundedUser(context, 500_000n);
    const { withdrawal, balance } = await request(userId, '100000');
    expect(withdrawal).toMatchObject({ state: 'awaiting_approval', reason: 'new_destination_address', amount: '100000', fee: FEE.toString() });
    expect(balance).toMatchObject({ available: String(500_000n - 100_000n - FEE), pendingOut: String(100_000n + FEE) });
  });

  it('refuses below the minimum, above the maximum and over the rolling 24 h limit, and holds nothing', async () => {
    const userId = await fundedUser(context, 5_000_000n);
    for (const amount of ['9999', '1000001']) {
      await expect(request(userId, amount)).rejects.toMatchObject({ code: LedgerCommandErrors.withdrawalLimit, retryable: false });
    }
    await request(userId, '1000000');
    await expect(request(userId, '600000')).rejects.toMatchObject({ code: LedgerCommandErrors.withdrawalLimit, details: { limit: 'daily_limit' } });
    expect((await balances(context, userId)).available).toBe(5_000_000n - 1_000_000n - FEE);
  });

  it("tells the terms: fee, limits, the 24 h total used and the available balance", async () => {
    const userId = await fundedUser(context, 5_000_000n);
    const terms = () => ledger.getWithdrawalTerms(getWithdrawalTermsV1.request.parse({ userId, asset: ASSET }));
    expect(await terms()).toEqual({ asset: ASSET, fee: '1000', min: '10000', max: '1000000', dailyMax: '1500000', usedLast24h: '0', available: '5000000' });
    await request(userId, '400000');
    expect(await terms()).toMatchObject({ usedLast24h: '400000', available: String(5_000_000n - 400_000n - FEE) });
    await expect(ledger.getWithdrawalTerms(getWithdrawalTermsV1.request.parse({ userId: newId(), asset: ASSET }))).rejects.toMatchObject({
      code: LedgerCommandErrors.accountNotFound,
    });
  });

  it('refuses what the balance cannot cover, amount and fee together', async () => {
    const userId = await fundedUser(context, 100_000n);
    await expect(request(userId, '100000')).rejects.toMatchObject({ code: LedgerCommandErrors.insufficientFunds });
    expect((await balances(context, userId)).available).toBe(100_000n);
  });

  it('remembers a refusal with its key: the same request stays refused after the user is funded', async () => {
    const userId = await fundedUser(context, 50_000n);
    const key = `wd-${newId()}`;
    await expect(request(userId, '60000', key)).rejects.toMatchObject({ code: LedgerCommandErrors.insufficientFunds });
    await credit(context, userId, 100_000n);
    await expect(request(userId, '60000', key)).rejects.toMatchObject({ code: LedgerCommandErrors.insufficientFunds });
    // A new key with the same body now succeeds: the refusal belonged to the key, not to the body.
    await expect(request(userId, '60000')).resolves.toMatchObject({ withdrawal: { amount: '60000' } });
  });

  it('approve moves it on and keeps the hold; it can then no longer be cancelled', async () => {
    const userId = await fundedUser(context, 500_000n);
    const { withdrawal } = await request(userId, '100000');
    const approved = await ledger.approveWithdrawal(approveWithdrawalV1.request.parse({ idempotencyKey: `ap-${newId()}`, adminId: newId(), withdrawalId: withdrawal.withdrawalId }));
    expect(approved.withdrawal.state).toBe('approved');
    expect((await balances(context, userId)).available).toBe(500_000n - 100_000n - FEE);
    await expect(
      ledger.cancelWithdrawal(cancelWithdrawalV1.request.parse({ idempotencyKey: `cx-${newId()}`, userId, withdrawalId: withdrawal.withdrawalId })),
    ).rejects.toMatchObject({ code: LedgerCommandErrors.invalidWithdrawalState, details: { state: 'approved' } });
  });

  it('reject releases amount and fee; a second reject is refused by the state machine', async () => {
    const userId = await fundedUser(context, 500_000n);
    const { withdrawal } = await request(userId, '100000');
    const rejected = await ledger.rejectWithdrawal(
      rejectWithdrawalV1.request.parse({ idempotencyKey: `rj-${newId()}`, adminId: newId(), withdrawalId: withdrawal.withdrawalId, reason: 'sanctions list' }),
    );
    expect(rejected.withdrawal).toMatchObject({ state: 'rejected', reason: 'sanctions list' });
    expect(rejected.balance).toMatchObject({ available: '500000', pendingOut: '0' });
    await expect(
      ledger.rejectWithdrawal(rejectWithdrawalV1.request.parse({ idempotencyKey: `rj-${newId()}`, adminId: newId(), withdrawalId: withdrawal.withdrawalId, reason: 'again' })),
    ).rejects.toMatchObject({ code: LedgerCommandErrors.invalidWithdrawalState });
  });

  it("cancel releases the hold; another user's withdrawal is reported as not found", async () => {
    const userId = await fundedUser(context, 500_000n);
    const stranger = await fundedUser(context, 0n);
    const { withdrawal } = await request(userId, '100000');
    await expect(
      ledger.cancelWithdrawal(cancelWithdrawalV1.request.parse({ idempotencyKey: `cx-${newId()}`, userId: stranger, withdrawalId: withdrawal.withdrawalId })),
    ).rejects.toMatchObject({ code: LedgerCommandErrors.withdrawalNotFound });
    const cancelled = await ledger.cancelWithdrawal(cancelWithdrawalV1.request.parse({ idempotencyKey: `cx-${newId()}`, userId, withdrawalId: withdrawal.withdrawalId }));
    expect(cancelled.withdrawal.state).toBe('cancelled');
    expect(cancelled.balance.available).toBe('500000');
    const [row] = await context.database.db.select().from(withdrawalsTable).where(eq(withdrawalsTable.id, withdrawal.withdrawalId));
    expect(row?.state).toBe('cancelled');
  });
});
