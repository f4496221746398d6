// Proves referral rewards on a real PostgreSQL schema, through the real inbox and the deposit
// handler: `user registered` with a referrer records the referral; the referred user's first
// credited deposit pays the referrer the configured reward from the referral expense account, with
// `referral reward paid` and the usual transfer events, in the credit's transaction; a redelivered
// deposit, the same deposit re-published, a second deposit, two first deposits racing on two pools,
// or a reverted first deposit never pay twice (the reward stays paid after a revert); a referral that
// reaches the ledger after the first deposit pays on registration, also when the two race; self-referrals, registrations
// without a referrer and a reward of 0 pay nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { balanceChangedV1, depositConfirmedV1, depositRevertedV1, referralRewardPaidV1, transferPostedV1, userRegisteredV1 } from '@strongbox/shared-contracts';
import { createDatabase, processOnce, type DatabaseHandle } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { TEST_DATABASE_URL, waitFor } from '@strongbox/shared-testing';
import { AccountKinds, checkInvariants, ledgerTables, openUserAccounts } from '@strongbox/ledger-data-access';
import { createDepositHandlers, createReferrals, ReferralOutcomes, type DepositHandlers, type Referrals } from '../../src/index';
import { ASSET, freshPlans, outboxEventsOfType, type PlanTestContext } from '../support/plans.harness';
import { consume, depositEvent, systemTotals, userTotals, type DepositConfirmed } from '../support/withdrawals.harness';

const REWARD = 5_000_000n;
let context: PlanTestContext;
let referrals: Referrals;
let deposits: DepositHandlers;

function build(reward: bigint) {
  const registry = new Registry();
  const logger = pino({ level: 'silent' });
  const made = createReferrals({ namespace: context.namespace, schema: context.database.schema, logger, registry, reward: { asset: ASSET, amountMinor: reward } });
  return { referrals: made, deposits: createDepositHandlers({ namespace: context.namespace, logger, registry, referrals: made }) };
}

beforeAll(async () => {
  context = await freshPlans({ poolSizeMax: 6 });
  ({ referrals, deposits } = build(REWARD));
});

afterAll(async () => {
  const report = await checkInvariants(context.sql);
  expect(report.violations).toEqual([]);
  await context.dispose();
});

function registration(userId: string, referrerUserId: string | null | undefined) {
  return userRegisteredV1.create({
    source: 'strongbox/bot-gateway',
    subject: userId,
    data: {
      userId,
      telegramUserId: String(Math.floor(Math.random() * 1e9) + 1),
      chatId: String(Math.floor(Math.random() * 1e9) + 1),
      languageCode: 'en',
      referralCode: referrerUserId ? 'ref-code' : null,
      ...(referrerUserId === undefined ? {} : { referrerUserId }),
      registeredAt: new Date().toISOString(),
    },
  });
}

/** Handles `user registered` as the service does: open the accounts and record the referral, once per event. */
function register(event: ReturnType<typeof registration>, using = referrals) {
  return consume(context, 'ledger-open-account-on-user-registered', event, async (tx, registered) => {
    await openUserAccounts(tx, { namespace: context.namespace, userId: registered.data.userId, assets: [ASSET], causationId: registered.id });
    return using.record(tx, registered);
  });
}

function credit(event: DepositConfirmed, using = deposits, database: DatabaseHandle = context.database) {
  return processOnce(database, { consumer: 'ledger-credit-on-deposit-confirmed', eventId: event.id, isolationLevel: 'read committed' }, (tx) => using.credit(tx, event));
}

async function referredPair(): Promise<{ referrer: string; referred: string }> {
  const referrer = newId();
  const referred = newId();
  await register(registration(referrer, null));
  expect(await register(registration(referred, referrer))).toEqual({ duplicate: false, result: ReferralOutcomes.recorded });
  return { referrer, referred };
}

async function rewardsOf(referred: string) {
  return context.sql<Array<{ referrer_user_id: string; amount: string; transfer_id: string; trigger: string }>>`
    select referrer_user_id, amount::text, transfer_id, trigger from referral_rewards where referred_user_id = ${referred}`;
}

async function paidEvents(referred: string) {
  return (await outboxEventsOfType(context, referralRewardPaidV1.type)).filter((event) => event.data['referredUserId'] === referred);
}

describe('referral rewards', () => {
  it("pays the referrer once on the referred user's first deposit, from the referral expense account, with its events", async () => {
    const { referrer, referred } = await referredPair();
    const expenseBefore = await systemTotals(context, AccountKinds.referralExpense);
    const first = depositEvent(referred, 20_000_000n);
    expect(await credit(first)).toEqual({ duplicate: false, result: true });

    expect((await userTotals(context, referrer)).available).toBe(REWARD);
    expect((await userTotals(context, referred)).available).toBe(20_000_000n);
    expect((await systemTotals(context, AccountKinds.referralExpense)).debitsPosted - expenseBefore.debitsPosted).toBe(REWARD);
    const rewards = await rewardsOf(referred);
    expect(rewards).toEqual([expect.objectContaining({ referrer_user_id: referrer, amount: REWARD.toString(), trigger: expect.stringContaining(first.data.txHash) })]);
    const paid = await paidEvents(referred);
    expect(paid).toHaveLength(1);
    expect(paid[0]!.data).toMatchObject({ referrerUserId: referrer, referredUserId: referred, asset: ASSET, amount: REWARD.toString(), transferId: rewards[0]!.transfer_id });
    expect(referralRewardPaidV1.schema.safeParse(paid[0]!.data).success).toBe(true);
    // The usual movement events of the reward transfer.
    const posted = (await outboxEventsOfType(context, transferPostedV1.type)).filter((event) => event.data['transferId'] === rewards[0]!.transfer_id);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.data).toMatchObject({ code: 'referral_reward', amount: REWARD.toString() });
    const changed = (await outboxEventsOfType(context, balanceChangedV1.type)).filter((event) => JSON.stringify(event.data).includes(rewards[0]!.transfer_id));
    expect(changed.length).toBeGreaterThanOrEqual(1);

    // Redelivered, re-published under a new event id, and a second deposit: nothing more is paid.
    expect(await credit(first)).toEqual({ duplicate: true });
    expect(await credit(depositConfirmedV1.create({ source: first.source, subject: referred, data: first.data }))).toEqual({ duplicate: false, result: false });
    expect(await credit(depositEvent(referred, 3_000_000n))).toEqual({ duplicate: false, result: true });
    expect((await userTotals(context, referrer)).available).toBe(REWARD);
    expect(await rewardsOf(referred)).toHaveLength(1);
    expect(await paidEvents(referred)).toHaveLength(1);
  });

  it('a reverted first deposit leaves the reward paid, and the next deposit does not pay again', async () => {
    const { referrer, referred } = await referredPair();
    const first = depositEvent(referred, 20_000_000n);
    await credit(first);
    const revert = depositRevertedV1.create({
      source: 'strongbox/chain-watcher',
      subject: referred,
      data: { chainId: first.data.chainId, txHash: first.data.txHash, logIndex: first.data.logIndex, userId: referred, asset: ASSET, amount: first.data.amount, reason: 'reorg' },
    });
    await processOnce(context.database, { consumer: 'ledger-compensate-on-deposit-reverted', eventId: revert.id }, (tx) => deposits.revert(tx, revert));
    expect((await userTotals(context, referred)).available).toBe(0n);
    expect((await userTotals(context, referrer)).available).toBe(REWARD);
    await credit(depositEvent(referred, 20_000_000n));
    expect((await userTotals(context, referrer)).available).toBe(REWARD);
    expect(await rewardsOf(referred)).toHaveLength(1);
  });

  it('two first deposits of one referred user credited at once on two pools pay one reward', async () => {
    const { referrer, referred } = await referredPair();
    const other = createDatabase(
      { url: TEST_DATABASE_URL, schema: context.database.schema, applicationName: 'referrals-replica-2', poolSizeMax: 2, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 },
      ledgerTables,
    );
    try {
      const replica = build(REWARD);
      const results = await Promise.all([credit(depositEvent(referred, 1_000_000n)), credit(depositEvent(referred, 2_000_000n), replica.deposits, other)]);
      expect(results).toEqual([
        { duplicate: false, result: true },
        { duplicate: false, result: true },
      ]);
    } finally {
      await other.close(5_000);
    }
    expect((await userTotals(context, referred)).available).toBe(3_000_000n);
    expect((await userTotals(context, referrer)).available).toBe(REWARD);
    expect(await rewardsOf(referred)).toHaveLength(1);
  });

  it('a referral that reaches the ledger after the first deposit pays on registration; a repeated registration does not', async () => {
    const referrer = newId();
    const referred = newId();
    await register(registration(referrer, null));
    await credit(depositEvent(referred, 7_000_000n));
    expect((await userTotals(context, referrer)).available).toBe(0n);
    const late = registration(referred, referrer);
    expect(await register(late)).toEqual({ duplicate: false, result: ReferralOutcomes.recorded });
    expect((await userTotals(context, referrer)).available).toBe(REWARD);
    expect(await rewardsOf(referred)).toEqual([expect.objectContaining({ trigger: `registration:${late.id}` })]);
    // The bot-gateway publishing the registration again (new event id) changes nothing.
    expect(await register(registration(referred, referrer))).toEqual({ duplicate: false, result: ReferralOutcomes.exists });
    expect((await userTotals(context, referrer)).available).toBe(REWARD);
  });

  it('a deposit credited while the registration is still uncommitted waits for it and pays, so the race never pays nothing', async () => {
    const other = createDatabase(
      { url: TEST_DATABASE_URL, schema: context.database.schema, applicationName: 'referrals-racer', poolSizeMax: 1, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 },
      ledgerTables,
    );
    const referrer = newId();
    const referred = newId();
    await register(registration(referrer, null));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let recorded = false;
    try {
      // The registration records the referral and finds no deposit yet, then stays uncommitted.
      const registering = context.database.db.transaction(async (tx) => {
        const outcome = await referrals.record(tx, registration(referred, referrer));
        recorded = true;
        await gate;
        return outcome;
      });
      await waitFor(() => recorded, { timeoutMs: 5_000, description: 'the registration recorded, not committed' });
      // Meanwhile the first deposit is credited on another pool: it must wait for the registration,
      // or it would find no referral while the registration found no deposit, and nobody would pay.
      const crediting = credit(depositEvent(referred, 1_000_000n), build(REWARD).deposits, other);
      await waitFor(
        async () =>
          (
            await context.sql`
              select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
              where a.application_name = 'referrals-racer' and l.locktype = 'advisory' and not l.granted`
          ).length === 1,
        { timeoutMs: 5_000, description: 'the credit waiting on the referral lock of the referred user' },
      );
      release();
      expect(await registering).toBe(ReferralOutcomes.recorded);
      expect(await crediting).toEqual({ duplicate: false, result: true });
    } finally {
      release();
      await other.close(5_000);
    }
    expect(await rewardsOf(referred)).toEqual([expect.objectContaining({ trigger: expect.stringMatching(/^deposit:/) })]);
    expect((await userTotals(context, referrer)).available).toBe(REWARD);
  });

  it('records nothing for a self-referral or a registration without a referrer, and pays nothing for their deposits', async () => {
    const self = newId();
    expect(await register(registration(self, self))).toEqual({ duplicate: false, result: ReferralOutcomes.none });
    const plain = newId();
    expect(await register(registration(plain, undefined))).toEqual({ duplicate: false, result: ReferralOutcomes.none });
    const withNull = newId();
    expect(await register(registration(withNull, null))).toEqual({ duplicate: false, result: ReferralOutcomes.none });
    for (const userId of [self, plain, withNull]) await credit(depositEvent(userId, 1_000_000n));
    expect((await userTotals(context, self)).available).toBe(1_000_000n);
    const rows = await context.sql`select 1 from referrals where referred_user_id in (${self}, ${plain}, ${withNull})`;
    expect(rows).toHaveLength(0);
    const rewards = await context.sql`select 1 from referral_rewards where referred_user_id in (${self}, ${plain}, ${withNull})`;
    expect(rewards).toHaveLength(0);
  });

  it('a reward of 0 records the referral but pays nothing', async () => {
    const off = build(0n);
    const referrer = newId();
    const referred = newId();
    await register(registration(referrer, null), off.referrals);
    expect(await register(registration(referred, referrer), off.referrals)).toMatchObject({ result: ReferralOutcomes.recorded });
    await credit(depositEvent(referred, 1_000_000n), off.deposits);
    expect((await userTotals(context, referrer)).available).toBe(0n);
    expect(await rewardsOf(referred)).toEqual([]);
    expect(await context.sql`select referrer_user_id from referrals where referred_user_id = ${referred}`).toEqual([{ referrer_user_id: referrer }]);
  });
});
