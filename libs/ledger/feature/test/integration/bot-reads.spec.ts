// Proves the two reads the bot shows users, against the real PostgreSQL on a schema of its own:
// `list-plan-deposits` answers only the user's deposits with the terms of their exact version and
// the interest credited so far (after real accrual runs), open ones by maturity then matured ones,
// bounded by `limit` and filtered by asset; `get-referral-stats` counts the friends recorded as
// referred and sums the rewards really paid (by the deposit handler), and names the reward on offer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { getReferralStatsV1, listPlanDepositsV1, openPlanDepositV1, userRegisteredV1 } from '@strongbox/shared-contracts';
import { processOnce } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { checkInvariants, openUserAccounts } from '@strongbox/ledger-data-access';
import { createDepositHandlers, createReferrals, createReferralStats, runPlanAccrual } from '../../src/index';
import { ASSET, DAY_MS, freshPlans, fundedUser, publish, type PlanTestContext } from '../support/plans.harness';
import { consume, depositEvent } from '../support/withdrawals.harness';

const REWARD = 2_500_000n;
let context: PlanTestContext;

beforeAll(async () => {
  context = await freshPlans();
});

afterAll(async () => {
  const report = await checkInvariants(context.sql);
  expect(report.violations).toEqual([]);
  await context.dispose();
});

function open(userId: string, planCode: string, amount: string) {
  return context.plans.openPlanDeposit(openPlanDepositV1.request.parse({ idempotencyKey: `open-${newId()}`, userId, planCode, amount }));
}

function list(request: { userId: string; limit?: number; asset?: string }) {
  return context.plans.listPlanDeposits(listPlanDepositsV1.request.parse(request));
}

describe('list-plan-deposits', () => {
  it("answers the user's deposits with their terms and accrued interest, open by maturity, then matured", async () => {
    await publish(context, { code: 'short-10', rateBps: 3_650, termDays: 10 });
    await publish(context, { code: 'long-30', rateBps: 3_650, termDays: 30 });
    const userId = await fundedUser(context, 1_000_000_000n);
    const other = await fundedUser(context, 100_000_000n);
    const long = await open(userId, 'long-30', '100000000');
    const short = await open(userId, 'short-10', '50000000');
    await open(other, 'short-10', '10000000');

    const fresh = await list({ userId });
    expect(listPlanDepositsV1.response.safeParse(fresh).success).toBe(true);
    // Both open: the one that returns first comes first, whatever the order of opening.
    expect(fresh.deposits.map((deposit) => deposit.depositId)).toEqual([short.deposit.depositId, long.deposit.depositId]);
    expect(fresh.deposits[0]).toMatchObject({ planCode: 'short-10', termDays: 10, rateBps: 3_650, principal: '50000000', state: 'open', accruedTotal: '0' });

    // Fifteen days on, the short deposit has matured and the long one has earned interest.
    context.clock.now = new Date(context.clock.now.getTime() + 15 * DAY_MS);
    for (let run = 0; run < 5; run += 1) {
      const result = await runPlanAccrual({ database: context.database, namespace: context.namespace, now: context.clock.now });
      if (result.ran && result.complete) break;
    }
    const later = await list({ userId });
    expect(later.deposits.map((deposit) => [deposit.depositId, deposit.state])).toEqual([
      [long.deposit.depositId, 'open'],
      [short.deposit.depositId, 'matured'],
    ]);
    for (const deposit of later.deposits) expect(BigInt(deposit.accruedTotal)).toBeGreaterThan(0n);
    const [accrued] = await context.sql<Array<{ total: string }>>`select accrued_total::text as total from plan_deposits where id = ${long.deposit.depositId}`;
    expect(later.deposits[0]!.accruedTotal).toBe(accrued!.total);

    expect((await list({ userId, limit: 1 })).deposits).toHaveLength(1);
    expect((await list({ userId, asset: 'USDC' })).deposits).toEqual([]);
    expect((await list({ userId: newId() })).deposits).toEqual([]);
  });
});

describe('get-referral-stats', () => {
  const logger = pino({ level: 'silent' });

  function registration(userId: string, referrerUserId: string | null) {
    return userRegisteredV1.create({
      source: 'strongbox/bot-gateway',
      subject: userId,
      data: {
        userId,
        telegramUserId: String(Math.floor(Math.random() * 1e9) + 1),
        chatId: String(Math.floor(Math.random() * 1e9) + 1),
        languageCode: 'en',
        referralCode: referrerUserId ? 'ref-code' : null,
        referrerUserId,
        registeredAt: new Date().toISOString(),
      },
    });
  }

  it('counts invited friends and sums the rewards actually paid', async () => {
    const registry = new Registry();
    const referrals = createReferrals({ namespace: context.namespace, schema: context.database.schema, logger, registry, reward: { asset: ASSET, amountMinor: REWARD } });
    const deposits = createDepositHandlers({ namespace: context.namespace, logger, registry, referrals });
    const stats = createReferralStats({ database: context.database, reward: { asset: ASSET, amountMinor: REWARD } });
    const register = (event: ReturnType<typeof registration>) =>
      consume(context, 'ledger-open-account-on-user-registered', event, async (tx, registered) => {
        await openUserAccounts(tx, { namespace: context.namespace, userId: registered.data.userId, assets: [ASSET], causationId: registered.id });
        return referrals.record(tx, registered);
      });

    const referrer = newId();
    await register(registration(referrer, null));
    expect(await stats.getReferralStats({ userId: referrer })).toEqual({ invited: 0, rewardsPaid: [], reward: { asset: ASSET, amount: REWARD.toString() } });

    const friends = [newId(), newId(), newId()];
    for (const friend of friends) await register(registration(friend, referrer));
    // Two of the three friends deposit; one deposits twice (paid once).
    for (const friend of [friends[0]!, friends[1]!, friends[1]!]) {
      const event = depositEvent(friend, 10_000_000n);
      await processOnce(context.database, { consumer: 'ledger-credit-on-deposit-confirmed', eventId: event.id }, (tx) => deposits.credit(tx, event));
    }
    const answer = await stats.getReferralStats({ userId: referrer });
    expect(getReferralStatsV1.response.safeParse(answer).success).toBe(true);
    expect(answer).toEqual({ invited: 3, rewardsPaid: [{ asset: ASSET, amount: (2n * REWARD).toString(), count: 2 }], reward: { asset: ASSET, amount: REWARD.toString() } });
    // A friend's own stats are theirs alone.
    expect((await stats.getReferralStats({ userId: friends[0]! })).invited).toBe(0);

    const off = createReferralStats({ database: context.database, reward: { asset: ASSET, amountMinor: 0n } });
    expect((await off.getReferralStats({ userId: referrer })).reward).toEqual({ asset: ASSET, amount: '0' });
  });
});
