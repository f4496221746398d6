// Proves the daily accrual job of plan deposits against the real PostgreSQL, with a clock moved by
// hand instead of waiting: each UTC day of the term is credited once it is over — a second run on the
// same day credits nothing, two concurrent runs (and eight concurrent steps on one deposit) credit
// each day exactly once, and the (deposit, day) primary key refuses a second row whoever writes it;
// a new plan version leaves deposits open on the old one at the old rate; a day whose interest
// rounds to zero is recorded without a transfer; maturity returns exactly the principal after the
// last day's interest; a run stops at its day budget and the next carries on. Each test ends with
// the four ledger invariants holding.
import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { openPlanDepositV1, planDepositAccruedV1, planDepositMaturedV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { checkInvariants } from '@strongbox/ledger-data-access';
import { accrueNextDay, interestForDay, interestThroughDay, runPlanAccrual } from '../../src/index';
import { balances, DAY_MS, freshPlans, fundedUser, inTx, outboxEventsOfType, publish, type PlanTestContext } from '../support/plans.harness';

const OPENED_AT = new Date('2030-01-01T10:00:00Z');

let context: PlanTestContext;
let codes = 0;

beforeAll(async () => {
  context = await freshPlans({ poolSizeMax: 10, start: OPENED_AT });
});

afterEach(async () => {
  expect((await checkInvariants(context.database.db)).violations).toEqual([]);
});

afterAll(async () => {
  await context.dispose();
});

function uniqueCode(): string {
  codes += 1;
  return `accrue-${codes}`;
}

/**
 * Tests share one schema, and a run walks every open deposit: each test opens its deposits at
 * OPENED_AT and moves the clock forward from there, and asserts only on its own deposits.
 */
async function openDeposit(userId: string, planCode: string, amount: bigint): Promise<string> {
  context.clock.now = OPENED_AT;
  const opened = await context.plans.openPlanDeposit(
    openPlanDepositV1.request.parse({ idempotencyKey: `open-${newId()}`, userId, planCode, amount: amount.toString() }),
  );
  return opened.deposit.depositId;
}

function run(now: Date, depositDaysMax?: number) {
  return runPlanAccrual({ database: context.database, namespace: context.namespace, now, ...(depositDaysMax === undefined ? {} : { depositDaysMax }) });
}

async function accruals(depositId: string): Promise<Array<{ day: string; amount: bigint; transferId: string | null }>> {
  const rows = await context.sql<Array<{ day: string; amount: string; transfer_id: string | null }>>`
    select day::text as day, amount::text as amount, transfer_id from plan_accruals where deposit_id = ${depositId} order by day`;
  return rows.map((row) => ({ day: row.day, amount: BigInt(row.amount), transferId: row.transfer_id }));
}

async function deposit(depositId: string) {
  const [row] = await context.sql<Array<{ state: string; accrued_total: string; last_accrued_day: string | null; plan_version: number }>>`
    select state, accrued_total::text, last_accrued_day::text, plan_version from plan_deposits where id = ${depositId}`;
  return row!;
}

const at = (iso: string) => new Date(iso);

describe('daily accrual', () => {
  it('credits each day that is over once; a second run on the same day credits nothing', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 450, termDays: 30 });
    const userId = await fundedUser(context, 2_000_000_000n);
    const depositId = await openDeposit(userId, code, 1_000_000_000n);

    // Still the opening day: nothing is over yet.
    expect((await accruals(depositId)).length).toBe(0);
    await run(at('2030-01-01T23:59:59.999Z'));
    expect(await accruals(depositId)).toEqual([]);

    const now = at('2030-01-04T00:30:00Z');
    const first = await run(now);
    expect(first).toMatchObject({ ran: true, complete: true });
    const expected = [1, 2, 3].map((day) => interestForDay(1_000_000_000n, 450, day));
    expect((await accruals(depositId)).map((row) => [row.day, row.amount])).toEqual([
      ['2030-01-01', expected[0]],
      ['2030-01-02', expected[1]],
      ['2030-01-03', expected[2]],
    ]);
    const credited = interestThroughDay(1_000_000_000n, 450, 3);
    expect(await balances(context, userId)).toEqual({ available: 1_000_000_000n + credited, locked: 1_000_000_000n });
    expect(await deposit(depositId)).toMatchObject({ state: 'open', accrued_total: credited.toString(), last_accrued_day: '2030-01-03' });

    const second = await run(now);
    expect(second.daysAccrued).toBe(0);
    const later = await run(at('2030-01-04T23:00:00Z'));
    expect(later.daysAccrued).toBe(0);
    expect((await accruals(depositId)).length).toBe(3);
    expect(await balances(context, userId)).toEqual({ available: 1_000_000_000n + credited, locked: 1_000_000_000n });

    const events = (await outboxEventsOfType(context, planDepositAccruedV1.type)).filter((event) => event.data['depositId'] === depositId);
    expect(events.map((event) => [event.data['day'], event.data['amount'], event.data['accruedTotal']])).toEqual([
      ['2030-01-01', expected[0]!.toString(), expected[0]!.toString()],
      ['2030-01-02', expected[1]!.toString(), (expected[0]! + expected[1]!).toString()],
      ['2030-01-03', expected[2]!.toString(), credited.toString()],
    ]);
    const transfers = await context.sql<Array<{ code: string; count: number }>>`
      select code, count(*)::int as count from transfers where reference = ${depositId} group by code order by code`;
    expect(transfers).toEqual([
      { code: 'plan_accrual', count: 3 },
      { code: 'plan_open', count: 1 },
    ]);
  });

  it('credits each day once when two runs race, and when eight steps race on one deposit', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 900, termDays: 30 });
    const users = await Promise.all([fundedUser(context, 10_000_000_000n), fundedUser(context, 10_000_000_000n)]);
    const racedByRuns = await openDeposit(users[0]!, code, 7_000_000_000n);
    const racedBySteps = await openDeposit(users[1]!, code, 7_000_000_000n);

    // Two runs (as two instances would start them) on the same day: the lock lets one walk the
    // deposits, and whatever the interleaving, each due day is credited once.
    const now = at('2030-01-06T01:00:00Z');
    const [a, b] = await Promise.all([run(now, 3), run(now, 3)]);
    const [c, d] = await Promise.all([run(now), run(now)]);
    expect([a, b, c, d].some((result) => result.ran)).toBe(true);
    expect((await accruals(racedByRuns)).map((row) => row.day)).toEqual(['2030-01-01', '2030-01-02', '2030-01-03', '2030-01-04', '2030-01-05']);

    // The step itself, without the job's lock: the deposit's row lock makes concurrent steps take
    // turns, so eight of them credit the next due days in order, none twice, and the rest find nothing.
    const later = at('2030-01-09T01:00:00Z');
    const steps = await Promise.all(
      Array.from({ length: 8 }, () => inTx(context, (tx) => accrueNextDay(tx, { namespace: context.namespace, depositId: racedBySteps, now: later }))),
    );
    const done = await accruals(racedBySteps);
    // Days 1–5 came from the runs above; the steps credited 6–8 (each once) and five found nothing due.
    expect(steps.filter((step) => step !== null).map((step) => step!.day).sort()).toEqual(['2030-01-06', '2030-01-07', '2030-01-08']);
    expect(steps.filter((step) => step === null)).toHaveLength(5);
    expect(done.map((row) => row.day)).toEqual(['2030-01-01', '2030-01-02', '2030-01-03', '2030-01-04', '2030-01-05', '2030-01-06', '2030-01-07', '2030-01-08']);
    expect(done.map((row) => row.amount)).toEqual(done.map((_row, index) => interestForDay(7_000_000_000n, 900, index + 1)));
    expect((await balances(context, users[1]!)).available).toBe(3_000_000_000n + interestThroughDay(7_000_000_000n, 900, 8));
  });

  it('has the database refuse a second row for a deposit-day, and any change to a credited day', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 450, termDays: 10 });
    const userId = await fundedUser(context, 1_000_000_000n);
    const depositId = await openDeposit(userId, code, 1_000_000_000n);
    await run(at('2030-01-02T01:00:00Z'));
    expect((await accruals(depositId)).map((row) => row.day)).toEqual(['2030-01-01']);

    await expect(context.sql`insert into plan_accruals (deposit_id, day, amount, transfer_id) values (${depositId}, '2030-01-01', 0, null)`).rejects.toMatchObject({
      code: '23505',
      constraint_name: 'plan_accruals_pk',
    });
    await expect(context.sql`update plan_accruals set amount = amount + 1 where deposit_id = ${depositId}`).rejects.toMatchObject({ code: '23001' });
    await expect(context.sql`delete from plan_accruals where deposit_id = ${depositId}`).rejects.toMatchObject({ code: '23001' });
    // A positive amount needs its transfer, and a zero amount has none.
    await expect(context.sql`insert into plan_accruals (deposit_id, day, amount, transfer_id) values (${depositId}, '2030-01-02', 5, null)`).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('keeps deposits on the version they were opened on when a new version changes the rate', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 450, termDays: 30 });
    const userId = await fundedUser(context, 3_000_000_000n);
    const onFirst = await openDeposit(userId, code, 1_000_000_000n);
    await publish(context, { code, version: 2, rateBps: 1_200, termDays: 60 });
    const onSecond = await openDeposit(userId, code, 1_000_000_000n);

    await run(at('2030-01-11T00:01:00Z'));
    const first = await accruals(onFirst);
    const second = await accruals(onSecond);
    expect(first).toHaveLength(10);
    expect(second).toHaveLength(10);
    expect(first.map((row) => row.amount)).toEqual(first.map((_row, index) => interestForDay(1_000_000_000n, 450, index + 1)));
    expect(second.map((row) => row.amount)).toEqual(second.map((_row, index) => interestForDay(1_000_000_000n, 1_200, index + 1)));
    expect(await deposit(onFirst)).toMatchObject({ plan_version: 1, accrued_total: interestThroughDay(1_000_000_000n, 450, 10).toString() });
    expect(await deposit(onSecond)).toMatchObject({ plan_version: 2, accrued_total: interestThroughDay(1_000_000_000n, 1_200, 10).toString() });
    // The first deposit keeps its 30-day term from version 1.
    const [terms] = await context.sql<Array<{ matures_at: Date }>>`select matures_at from plan_deposits where id = ${onFirst}`;
    expect(terms!.matures_at.toISOString()).toBe(new Date(OPENED_AT.getTime() + 30 * DAY_MS).toISOString());
  });

  it('records a day whose interest rounds to zero without a transfer or an event, and carries the remainder', async () => {
    const code = uniqueCode();
    // 1,000,000 at 1 bp: 0.27 minor units a day, so days 1–3 pay 0 and day 4 pays 1.
    await publish(context, { code, rateBps: 1, termDays: 5, minAmount: '1' });
    const userId = await fundedUser(context, 1_000_000n);
    const depositId = await openDeposit(userId, code, 1_000_000n);
    await run(at('2030-01-05T00:01:00Z'));
    const rows = await accruals(depositId);
    expect(rows.map((row) => [row.day, row.amount, row.transferId === null])).toEqual([
      ['2030-01-01', 0n, true],
      ['2030-01-02', 0n, true],
      ['2030-01-03', 0n, true],
      ['2030-01-04', 1n, false],
    ]);
    const events = (await outboxEventsOfType(context, planDepositAccruedV1.type)).filter((event) => event.data['depositId'] === depositId);
    expect(events.map((event) => event.data['day'])).toEqual(['2030-01-04']);
    expect(await balances(context, userId)).toEqual({ available: 1n, locked: 1_000_000n });
  });

  it('returns exactly the principal at maturity, after the last day’s interest, once', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 700, termDays: 3 });
    const userId = await fundedUser(context, 1_234_567_891n);
    const depositId = await openDeposit(userId, code, 1_234_567_891n);
    const interest = interestThroughDay(1_234_567_891n, 700, 3);

    // All three days are over, but the term ends at 10:00 on the fourth day.
    const before = await run(at('2030-01-04T09:59:59.999Z'));
    expect(before.matured).toBe(0);
    expect(await deposit(depositId)).toMatchObject({ state: 'open', last_accrued_day: '2030-01-03' });
    expect(await balances(context, userId)).toEqual({ available: interest, locked: 1_234_567_891n });

    const maturity = await run(at('2030-01-04T10:00:00Z'));
    expect(maturity.matured).toBeGreaterThanOrEqual(1);
    expect(await deposit(depositId)).toMatchObject({ state: 'matured', accrued_total: interest.toString() });
    expect(await balances(context, userId)).toEqual({ available: 1_234_567_891n + interest, locked: 0n });
    const [event] = (await outboxEventsOfType(context, planDepositMaturedV1.type)).filter((row) => row.data['depositId'] === depositId);
    expect(event).toMatchObject({ subject: userId, data: { principal: '1234567891', accruedTotal: interest.toString() } });

    // Nothing more, however late the next runs are.
    await run(at('2030-03-01T00:00:00Z'));
    expect(await accruals(depositId)).toHaveLength(3);
    expect(await balances(context, userId)).toEqual({ available: 1_234_567_891n + interest, locked: 0n });
    const [maturities] = await context.sql<Array<{ count: number }>>`select count(*)::int as count from transfers where reference = ${depositId} and code = 'plan_maturity'`;
    expect(maturities!.count).toBe(1);
  });

  it('pays every missed day before maturing, even when runs stop at their day budget and the next carries on', async () => {
    const code = uniqueCode();
    await publish(context, { code, rateBps: 365, termDays: 4 });
    const userId = await fundedUser(context, 3_650_000n);
    const depositId = await openDeposit(userId, code, 3_650_000n);

    // A month late, with the deposits of the tests above also due: every run stops at its budget.
    const late = at('2030-02-01T00:00:00Z');
    expect(await run(late, 1)).toMatchObject({ ran: true, daysAccrued: 1, complete: false });
    let runs = 1;
    for (let result = await run(late, 7); !result.complete; result = await run(late, 7)) {
      expect(result.daysAccrued).toBe(7);
      runs += 1;
      expect(runs, 'runs until everything due is done').toBeLessThan(200);
    }
    // 3,650,000 at 365 bp is exactly 365 a day.
    expect((await accruals(depositId)).map((row) => row.amount)).toEqual([365n, 365n, 365n, 365n]);
    expect(await deposit(depositId)).toMatchObject({ state: 'matured', accrued_total: '1460' });
    expect(await balances(context, userId)).toEqual({ available: 3_650_000n + 1_460n, locked: 0n });
  });

  it('refuses a run while another instance holds the lock', async () => {
    const connection = await context.database.sql.reserve();
    try {
      await connection`select pg_advisory_lock(hashtextextended(${`${context.database.schema}:ledger.plan-accrual`}, 0))`;
      expect(await run(at('2030-06-01T00:00:00Z'))).toEqual({ ran: false, daysAccrued: 0, interestMinor: 0n, matured: 0, complete: true });
      await connection`select pg_advisory_unlock(hashtextextended(${`${context.database.schema}:ledger.plan-accrual`}, 0))`;
    } finally {
      connection.release();
    }
    expect((await run(at('2030-06-01T00:00:00Z'))).ran).toBe(true);
  });
});
