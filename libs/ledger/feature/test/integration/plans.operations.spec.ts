// Proves the plan commands against the real PostgreSQL, on a migrated schema of its own and a clock
// moved by hand: versions are published in order and never edited (the database refuses it too), a
// retried publish is answered from the stored row, the catalogue shows the latest enabled version of
// each level; opening a deposit moves exactly the principal from available to locked on the exact
// version, is idempotent per key, and every refusal — amount limits, unknown or superseded plan,
// disabled level (until its time passes), missing funds or account — has its own code, names its
// reason in `details`, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  disablePlanV1,
  LedgerCommandErrors,
  listPlansV1,
  openPlanDepositV1,
  PlanCommandErrors,
  planDepositOpenedV1,
  publishPlanV1,
} from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { checkInvariants } from '@strongbox/ledger-data-access';
import { ASSET, balances, credit, DAY_MS, expectCommandError, freshPlans, fundedUser, outboxEventsOfType, publish, type PlanTestContext } from '../support/plans.harness';

let context: PlanTestContext;
let codes = 0;

beforeAll(async () => {
  context = await freshPlans();
});

afterAll(async () => {
  await context.dispose();
});

/** A plan code no other test of this file uses; zero-padded, so codes sort in the order they were made. */
function uniqueCode(): string {
  codes += 1;
  return `plan-${String(codes).padStart(3, '0')}`;
}

function open(request: { userId: string; planCode: string; amount: string; planVersion?: number; idempotencyKey?: string }) {
  return context.plans.openPlanDeposit(openPlanDepositV1.request.parse({ idempotencyKey: `open-${newId()}`, ...request }));
}

async function depositCount(userId: string): Promise<number> {
  const [row] = await context.sql<Array<{ count: string }>>`select count(*)::text as count from plan_deposits where user_id = ${userId}`;
  return Number(row!.count);
}

describe('publishing plan versions', () => {
  it('publishes version 1, answers a retry from the stored row, and takes only the next version after it', async () => {
    const code = uniqueCode();
    const first = await publish(context, { code, rateBps: 450, termDays: 90 });
    expect(first.created).toBe(true);
    expect(first.plan).toMatchObject({ code, version: 1, asset: ASSET, rateBps: 450, termDays: 90, minAmount: '1000000', disabledUntil: null });
    expect(publishPlanV1.response.safeParse(first).success).toBe(true);

    expect(await publish(context, { code, rateBps: 450, termDays: 90 })).toEqual({ plan: first.plan, created: false });

    const exists = await expectCommandError(publish(context, { code, rateBps: 500, termDays: 90 }), PlanCommandErrors.planVersionExists);
    expect(exists.details).toMatchObject({ version: '1', expectedVersion: '2' });
    const gap = await expectCommandError(publish(context, { code, version: 3 }), PlanCommandErrors.planVersionNotNext);
    expect(gap.details).toMatchObject({ expectedVersion: '2' });
    await expectCommandError(publish(context, { code: uniqueCode(), version: 2 }), PlanCommandErrors.planVersionNotNext);

    const second = await publish(context, { code, version: 2, rateBps: 500, termDays: 90 });
    expect(second).toMatchObject({ created: true, plan: { version: 2, rateBps: 500 } });
    const rows = await context.sql<Array<{ version: number; rate_bps: number }>>`select version, rate_bps from plans where code = ${code} order by version`;
    expect(rows.map((row) => [row.version, row.rate_bps])).toEqual([
      [1, 450],
      [2, 500],
    ]);
  });

  it('lets exactly one of two concurrent publishes of the same next version with different terms win', async () => {
    const code = uniqueCode();
    await publish(context, { code });
    const results = await Promise.allSettled([publish(context, { code, version: 2, rateBps: 111 }), publish(context, { code, version: 2, rateBps: 222 })]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((result) => (result.reason as { code: string }).code)).toEqual([PlanCommandErrors.planVersionExists]);
    const rows = await context.sql<Array<{ rate_bps: number }>>`select rate_bps from plans where code = ${code} and version = 2`;
    expect(rows).toHaveLength(1);
  });

  it.each([
    ['an asset the ledger does not serve', { asset: 'USDC' }, { asset: 'USDC' }],
    ['a maximum below the minimum', { minAmount: '2000000', maxAmount: '1999999' }, { minAmount: '2000000', maxAmount: '1999999' }],
  ])('refuses %s with LEDGER_ERR_INVALID_PLAN and stores nothing', async (_what, terms, details) => {
    const code = uniqueCode();
    const error = await expectCommandError(context.plans.publishPlan(publishPlanV1.request.parse({ adminId: newId(), code, version: 1, asset: ASSET, rateBps: 1, termDays: 1, minAmount: '1', maxAmount: '1', ...terms })), PlanCommandErrors.invalidPlan);
    expect(error.details).toMatchObject(details);
    expect(await context.sql`select 1 from plans where code = ${code}`).toHaveLength(0);
  });

  it.each([
    ['a rate above 100 %', { rateBps: 10_001 }],
    ['a negative rate', { rateBps: -1 }],
    ['a term of 0 days', { termDays: 0 }],
    ['a term over ten years', { termDays: 3_651 }],
    ['a zero minimum', { minAmount: '0' }],
    ['an amount with a fraction', { maxAmount: '1.5' }],
    ['an upper-case code', { code: 'Gold' }],
    ['version 0', { version: 0 }],
    ['no admin id', { adminId: undefined }],
    ['an admin id that is not a UUID', { adminId: 'admin-1' }],
  ])('the request schema refuses %s', (_what, change) => {
    const valid = { adminId: newId(), code: 'gold', version: 1, asset: ASSET, rateBps: 450, termDays: 30, minAmount: '1', maxAmount: '2' };
    expect(publishPlanV1.request.safeParse(valid).success).toBe(true);
    expect(publishPlanV1.request.safeParse({ ...valid, ...change }).success).toBe(false);
  });

  it('records the admin who published each version; a repeat by another admin keeps the first', async () => {
    const code = uniqueCode();
    const [first, second, third] = [newId(), newId(), newId()];
    await publish(context, { code, adminId: first });
    expect(await publish(context, { code, adminId: second })).toMatchObject({ created: false });
    await publish(context, { code, version: 2, rateBps: 500, adminId: third });
    const rows = await context.sql<Array<{ version: number; published_by: string }>>`
      select version, published_by from plans where code = ${code} order by version`;
    expect(rows).toEqual([
      { version: 1, published_by: first },
      { version: 2, published_by: third },
    ]);
  });

  it('lets the database refuse an edit or deletion of published terms, but not a change of disabled_until', async () => {
    const code = uniqueCode();
    await publish(context, { code });
    for (const statement of [
      context.sql`update plans set rate_bps = 9999 where code = ${code}`,
      context.sql`update plans set max_amount = 1 where code = ${code}`,
      context.sql`delete from plans where code = ${code}`,
    ]) {
      await expect(statement).rejects.toMatchObject({ code: '23001' });
    }
    await context.sql`update plans set disabled_until = now() where code = ${code}`;
    const [row] = await context.sql<Array<{ rate_bps: number }>>`select rate_bps from plans where code = ${code}`;
    expect(row!.rate_bps).toBe(450);
  });
});

describe('the catalogue', () => {
  it('lists the latest version of each level, leaves disabled levels out unless asked, and filters by asset', async () => {
    const [a, b, c] = [uniqueCode(), uniqueCode(), uniqueCode()];
    await publish(context, { code: a, rateBps: 100 });
    await publish(context, { code: a, version: 2, rateBps: 200 });
    await publish(context, { code: b, rateBps: 300 });
    await publish(context, { code: c, rateBps: 400 });
    const until = new Date(context.clock.now.getTime() + DAY_MS);
    await context.plans.disablePlan(disablePlanV1.request.parse({ code: c, disabledUntil: until.toISOString() }));

    const mine = <T extends { code: string }>(plans: T[]): T[] => plans.filter((plan) => [a, b, c].includes(plan.code));
    const listed = await context.plans.listPlans(listPlansV1.request.parse({}));
    expect(listPlansV1.response.safeParse(listed).success).toBe(true);
    expect(mine(listed.plans).map((plan) => [plan.code, plan.version, plan.rateBps])).toEqual([
      [a, 2, 200],
      [b, 1, 300],
    ]);
    const all = await context.plans.listPlans(listPlansV1.request.parse({ includeDisabled: true, asset: ASSET }));
    expect(mine(all.plans).find((plan) => plan.code === c)).toMatchObject({ version: 1, disabledUntil: until.toISOString() });
    expect((await context.plans.listPlans(listPlansV1.request.parse({ asset: 'USDC', includeDisabled: true }))).plans).toEqual([]);

    // Once the time has passed, the level is on offer again without anyone enabling it.
    context.clock.now = new Date(until.getTime());
    expect(mine((await context.plans.listPlans(listPlansV1.request.parse({}))).plans).map((plan) => plan.code)).toEqual([a, b, c]);
  });

  it('refuses to disable a level that does not exist', async () => {
    const error = await expectCommandError(context.plans.disablePlan(disablePlanV1.request.parse({ code: 'no-such-plan', disabledUntil: null })), PlanCommandErrors.planNotFound);
    expect(error.details).toEqual({ code: 'no-such-plan' });
  });
});

describe('opening a plan deposit', () => {
  it('moves exactly the principal from available to locked, on the version on offer, once per idempotency key', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 450, termDays: 30 });
    const userId = await fundedUser(context, 5_000_000_000n);
    const request = { userId, planCode: code, amount: '1000000000', idempotencyKey: `open-${newId()}` };

    const opened = await open(request);
    expect(openPlanDepositV1.response.safeParse(opened).success).toBe(true);
    expect(opened.deposit).toMatchObject({
      userId,
      planCode: code,
      planVersion: 1,
      principal: '1000000000',
      rateBps: 450,
      termDays: 30,
      state: 'open',
      accruedTotal: '0',
      openedAt: context.clock.now.toISOString(),
      maturesAt: new Date(context.clock.now.getTime() + 30 * DAY_MS).toISOString(),
    });
    expect(opened.balance).toMatchObject({ available: '4000000000', locked: '1000000000' });
    expect(await balances(context, userId)).toEqual({ available: 4_000_000_000n, locked: 1_000_000_000n });

    // The same key and body: the first answer, nothing moves again.
    expect(await open(request)).toEqual(opened);
    expect(await balances(context, userId)).toEqual({ available: 4_000_000_000n, locked: 1_000_000_000n });
    await expectCommandError(open({ ...request, amount: '2000000000' }), LedgerCommandErrors.idempotencyConflict);
    expect(await depositCount(userId)).toBe(1);

    const [event] = (await outboxEventsOfType(context, planDepositOpenedV1.type)).filter((row) => row.data['depositId'] === opened.deposit.depositId);
    expect(event).toMatchObject({ subject: userId, data: { planCode: code, planVersion: 1, principal: '1000000000', rateBps: 450, termDays: 30 } });
    const [transfer] = await context.sql<Array<{ code: string; amount: string; reference: string }>>`
      select code, amount::text, reference from transfers where reference = ${opened.deposit.depositId}`;
    expect(transfer).toEqual({ code: 'plan_open', amount: '1000000000', reference: opened.deposit.depositId });
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  });

  it('executes two concurrent requests with one key once', async () => {
    const code = uniqueCode();
    await publish(context, { code });
    const userId = await fundedUser(context, 10_000_000n);
    const request = { userId, planCode: code, amount: '3000000', idempotencyKey: `open-${newId()}` };
    const [first, second] = await Promise.all([open(request), open(request)]);
    expect(second).toEqual(first);
    expect(await depositCount(userId)).toBe(1);
    expect(await balances(context, userId)).toEqual({ available: 7_000_000n, locked: 3_000_000n });
  });

  it('refuses amounts outside the plan’s limits, naming the limit, and changes nothing', async () => {
    const code = uniqueCode();
    await publish(context, { code, minAmount: '1000000', maxAmount: '9000000' });
    const userId = await fundedUser(context, 100_000_000n);
    const below = await expectCommandError(open({ userId, planCode: code, amount: '999999' }), PlanCommandErrors.planAmountLimit);
    expect(below.details).toMatchObject({ limit: 'min', limitMinor: '1000000', amount: '999999' });
    const above = await expectCommandError(open({ userId, planCode: code, amount: '9000001' }), PlanCommandErrors.planAmountLimit);
    expect(above.details).toMatchObject({ limit: 'max', limitMinor: '9000000' });
    expect(above.retryable).toBe(false);
    // Both bounds are inclusive.
    await open({ userId, planCode: code, amount: '1000000' });
    await open({ userId, planCode: code, amount: '9000000' });
    expect(await balances(context, userId)).toEqual({ available: 90_000_000n, locked: 10_000_000n });
    expect(await depositCount(userId)).toBe(2);
  });

  it('refuses an unknown plan, a version that does not exist, and one that a newer version replaced', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 100 });
    await publish(context, { code, version: 2, rateBps: 200 });
    const userId = await fundedUser(context, 100_000_000n);
    await expectCommandError(open({ userId, planCode: 'no-such-plan', amount: '1000000' }), PlanCommandErrors.planNotFound);
    await expectCommandError(open({ userId, planCode: code, planVersion: 3, amount: '1000000' }), PlanCommandErrors.planNotFound);
    const superseded = await expectCommandError(open({ userId, planCode: code, planVersion: 1, amount: '1000000' }), PlanCommandErrors.planVersionSuperseded);
    expect(superseded.details).toMatchObject({ planVersion: '1', currentVersion: '2' });
    expect(await depositCount(userId)).toBe(0);
    const opened = await open({ userId, planCode: code, planVersion: 2, amount: '1000000' });
    expect(opened.deposit).toMatchObject({ planVersion: 2, rateBps: 200 });
  });

  it('refuses a disabled level with the time it opens again, then opens once that time has passed', async () => {
    const code = uniqueCode();
    await publish(context, { code });
    const userId = await fundedUser(context, 100_000_000n);
    const until = new Date(context.clock.now.getTime() + 2 * 60 * 60 * 1_000);
    expect(await context.plans.disablePlan(disablePlanV1.request.parse({ code, disabledUntil: until.toISOString() }))).toEqual({ code, disabledUntil: until.toISOString() });
    // A version published while the level is disabled is disabled too.
    await publish(context, { code, version: 2, rateBps: 600 });

    const refused = await expectCommandError(open({ userId, planCode: code, amount: '1000000' }), PlanCommandErrors.planDisabled);
    expect(refused.details).toEqual({ planCode: code, disabledUntil: until.toISOString() });
    context.clock.now = new Date(until.getTime() - 1);
    await expectCommandError(open({ userId, planCode: code, amount: '1000000' }), PlanCommandErrors.planDisabled);
    expect(await balances(context, userId)).toEqual({ available: 100_000_000n, locked: 0n });

    context.clock.now = until;
    const opened = await open({ userId, planCode: code, amount: '1000000' });
    expect(opened.deposit).toMatchObject({ planVersion: 2, rateBps: 600 });

    // Disabling again and enabling at once with null.
    await context.plans.disablePlan(disablePlanV1.request.parse({ code, disabledUntil: new Date(until.getTime() + DAY_MS).toISOString() }));
    await expectCommandError(open({ userId, planCode: code, amount: '1000000' }), PlanCommandErrors.planDisabled);
    await context.plans.disablePlan(disablePlanV1.request.parse({ code, disabledUntil: null }));
    await open({ userId, planCode: code, amount: '1000000' });
    expect(await depositCount(userId)).toBe(2);
  });

  it('refuses a principal the user does not have, and keeps the refusal for the key even after funds arrive', async () => {
    const code = uniqueCode();
    await publish(context, { code });
    const userId = await fundedUser(context, 5_000_000n);
    const request = { userId, planCode: code, amount: '5000001', idempotencyKey: `open-${newId()}` };
    const refused = await expectCommandError(open(request), LedgerCommandErrors.insufficientFunds);
    expect(refused.details).toMatchObject({ available: '5000000', requested: '5000001' });
    expect(await balances(context, userId)).toEqual({ available: 5_000_000n, locked: 0n });
    expect(await depositCount(userId)).toBe(0);

    // Funds arrive; the key's stored answer stays the refusal, while a new key opens the deposit.
    await credit(context, userId, 1n);
    await expectCommandError(open(request), LedgerCommandErrors.insufficientFunds);
    expect(await depositCount(userId)).toBe(0);
    await open({ ...request, idempotencyKey: `open-${newId()}` });
    expect(await balances(context, userId)).toEqual({ available: 0n, locked: 5_000_001n });
  });

  it('refuses a user without accounts', async () => {
    const code = uniqueCode();
    await publish(context, { code });
    await expectCommandError(open({ userId: newId(), planCode: code, amount: '1000000' }), LedgerCommandErrors.accountNotFound);
  });
});
