// Group commit of transfer commands (transfer.batcher.ts) against the loopback PostgreSQL: many
// concurrent commands are decided in few transactions, yet each behaves exactly as if it ran
// alone — refusals stay with their command, the balance never goes below zero, a key given twice
// executes once, a key reused with another body is a conflict, a stored answer is replayed, and the
// four invariants hold. The batch sizes are read from the batcher's own histogram, so a test that
// thinks it exercised batching but ran one command per transaction fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { LedgerCommandErrors, transferV1, transferPostedV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { CommandError } from '@strongbox/shared-messaging';
import { checkInvariants } from '@strongbox/ledger-data-access';
import { waitFor } from '@strongbox/shared-testing';
import { createLedgerOperations, createTransferBatcher, type LedgerOperations, type TransferBatcher, type TransferBatcherOptions } from '../../src/index';
import { ASSET, balances, expectCommandError, freshPlans, fundedUser, outboxEventsOfType, type PlanTestContext } from '../support/plans.harness';

let context: PlanTestContext;
let ledger: LedgerOperations;

beforeAll(async () => {
  context = await freshPlans({ poolSizeMax: 6 });
  ledger = createLedgerOperations({
    database: context.database,
    namespace: context.namespace,
    assets: [ASSET],
    withdrawalLimits: { minMinor: 1n, maxMinor: 10n ** 12n, dailyMaxMinor: 10n ** 12n, feeMinor: 0n },
    fraudRules: { velocityMaxPerHour: 1_000, afterDepositCoolingMs: 0 },
    now: () => context.clock.now,
  });
});

afterAll(async () => {
  await context?.dispose();
});

function batcher(registry: Registry, extra: Pick<TransferBatcherOptions, 'deadlineMs' | 'onOverdue'> = {}): TransferBatcher {
  return createTransferBatcher({
    database: context.database,
    namespace: context.namespace,
    now: () => context.clock.now,
    single: (request) => ledger.transfer(request),
    registry,
    ...extra,
  });
}

function request(fromUserId: string, toUserId: string, amount: bigint, key = `k-${newId()}`) {
  return transferV1.request.parse({ idempotencyKey: key, fromUserId, toUserId, asset: ASSET, amount: amount.toString() });
}

/** Settles every promise; the replies and the error codes, in order. */
async function settle<T>(promises: readonly Promise<T>[]): Promise<Array<{ ok: true; value: T } | { ok: false; code: string }>> {
  const results = await Promise.allSettled(promises);
  return results.map((result) => {
    if (result.status === 'fulfilled') return { ok: true as const, value: result.value };
    if (result.reason instanceof CommandError) return { ok: false as const, code: result.reason.code };
    throw result.reason;
  });
}

/** Observations and their sum from the batch size histogram. */
async function batchSizes(registry: Registry): Promise<{ batches: number; commands: number }> {
  const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === 'ledger_transfer_batch_size');
  const values = (metric?.values ?? []) as Array<{ metricName?: string; value: number }>;
  return {
    batches: values.find((value) => value.metricName === 'ledger_transfer_batch_size_count')?.value ?? 0,
    commands: values.find((value) => value.metricName === 'ledger_transfer_batch_size_sum')?.value ?? 0,
  };
}

describe('transfers committed in batches', () => {
  it('decides 150 concurrent transfers from one balance that covers 40 in fewer transactions, exactly 40 succeed, never below zero', async () => {
    const registry = new Registry();
    const transfers = batcher(registry);
    const payer = await fundedUser(context, 40n * 1_000n);
    const payees = await Promise.all(Array.from({ length: 5 }, () => fundedUser(context, 0n)));
    const results = await settle(Array.from({ length: 150 }, (_, index) => transfers.transfer(request(payer, payees[index % 5] as string, 1_000n))));
    const succeeded = results.filter((result) => result.ok);
    expect(succeeded).toHaveLength(40);
    expect(results.filter((result) => !result.ok).every((result) => !result.ok && result.code === LedgerCommandErrors.insufficientFunds)).toBe(true);
    expect((await balances(context, payer)).available).toBe(0n);
    const received = await Promise.all(payees.map((payee) => balances(context, payee)));
    expect(received.reduce((sum, balance) => sum + balance.available, 0n)).toBe(40_000n);
    // Each success reports the payer's balance as that transfer left it: 39 000, 38 000, … 0, each once.
    const reported = succeeded.map((result) => (result.ok ? BigInt(result.value.from.available) : -1n)).sort((a, b) => (a < b ? -1 : 1));
    expect(reported).toEqual(Array.from({ length: 40 }, (_, index) => BigInt(index) * 1_000n));
    const sizes = await batchSizes(registry);
    expect(sizes.commands).toBe(150);
    expect(sizes.batches).toBeLessThan(150);
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  });

  it('keeps each refusal with its own command: same user, unknown user and insufficient funds beside successes', async () => {
    const transfers = batcher(new Registry());
    const rich = await fundedUser(context, 10_000n);
    const poor = await fundedUser(context, 5n);
    const other = await fundedUser(context, 0n);
    const results = await settle([
      transfers.transfer(request(rich, other, 100n)),
      transfers.transfer(request(rich, rich, 1n)),
      transfers.transfer(request(rich, newId(), 1n)),
      transfers.transfer(request(poor, other, 6n)),
      transfers.transfer(request(poor, other, 5n)),
      transfers.transfer(request(rich, other, 200n)),
    ]);
    expect(results.map((result) => (result.ok ? 'ok' : result.code))).toEqual([
      'ok',
      'LEDGER_ERR_INVALID_TRANSFER',
      'LEDGER_ERR_ACCOUNT_NOT_FOUND',
      LedgerCommandErrors.insufficientFunds,
      'ok',
      'ok',
    ]);
    expect(await balances(context, other)).toEqual({ available: 305n, locked: 0n });
    expect(await balances(context, rich)).toEqual({ available: 9_700n, locked: 0n });
    expect(await balances(context, poor)).toEqual({ available: 0n, locked: 0n });
  });

  it('executes a key given twice in one batch once, and answers both alike', async () => {
    const registry = new Registry();
    const transfers = batcher(registry);
    const from = await fundedUser(context, 1_000n);
    const to = await fundedUser(context, 0n);
    const same = request(from, to, 300n);
    // A first command keeps the batcher busy, so the next three arrive together in one batch.
    const [, first, second, third] = await Promise.all([
      transfers.transfer(request(from, to, 1n)),
      transfers.transfer(same),
      transfers.transfer(same),
      transfers.transfer(request(from, to, 2n)),
    ]);
    expect(second).toEqual(first);
    expect(third.to.available).not.toBe(first.to.available);
    expect(await balances(context, to)).toEqual({ available: 303n, locked: 0n });
    const posted = (await outboxEventsOfType(context, transferPostedV1.type)).filter((event) => event.data['transferId'] === first.transferId);
    expect(posted).toHaveLength(1);
    expect((await batchSizes(registry)).batches).toBeLessThan(4);
  });

  it('refuses a key reused with another body as a conflict, and replays a stored answer, refusal included', async () => {
    const transfers = batcher(new Registry());
    const from = await fundedUser(context, 1_000n);
    const to = await fundedUser(context, 0n);
    const original = request(from, to, 400n, 'k-reuse-0001');
    const changed = request(from, to, 401n, 'k-reuse-0001');
    const tooMuch = request(from, to, 5_000n, 'k-refused-0001');
    const [first] = await Promise.all([transfers.transfer(original), expectCommandError(transfers.transfer(tooMuch), LedgerCommandErrors.insufficientFunds)]);
    await expectCommandError(transfers.transfer(changed), LedgerCommandErrors.idempotencyConflict);
    expect(await transfers.transfer(original)).toEqual(first);
    // The refusal stays a refusal, though the balance would now allow less than 5 000 anyway.
    await expectCommandError(transfers.transfer(tooMuch), LedgerCommandErrors.insufficientFunds);
    // The same answer through the single-command path: batch and single store answers alike.
    expect(await ledger.transfer(original)).toEqual(first);
    expect(await balances(context, to)).toEqual({ available: 400n, locked: 0n });
  });

  it('answers in a batch exactly what the single-command path answers for the same command', async () => {
    const transfers = batcher(new Registry());
    const from = await fundedUser(context, 1_000n);
    const to = await fundedUser(context, 50n);
    const batched = await transfers.transfer(request(from, to, 10n));
    const single = await ledger.transfer(request(from, to, 10n));
    expect(Object.keys(batched).sort()).toEqual(Object.keys(single).sort());
    expect(batched.from).toEqual({ ...single.from, available: '990', pendingOut: '0' });
    expect(single.from.available).toBe('980');
    expect(batched.to.available).toBe('60');
    expect(single.to.available).toBe('70');
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  });

  it('retries a batch whose key claim waited out its lock limit one command at a time, and the other batch is not held up', async () => {
    const transfers = batcher(new Registry());
    const from = await fundedUser(context, 1_000n);
    const to = await fundedUser(context, 0n);
    const blocked = request(from, to, 100n);
    const free = request(from, to, 7n);
    // Another transaction holds the key's row (a running duplicate from another ledger instance):
    // the batch's claim waits its 5 s limit, fails as "in progress", and the command goes through the
    // single-command path, which waits again and claims the key once the holder rolls back.
    let releaseHolder: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (releaseHolder = resolve));
    let holding: () => void = () => undefined;
    const holdingNow = new Promise<void>((resolve) => (holding = resolve));
    const holder = context.sql
      .begin(async (tx) => {
        await tx`insert into idempotency_keys (scope, key, request_hash, state, response)
                 values ('ledger.transfer', ${blocked.idempotencyKey}, 'held-by-another-instance', 'completed', 'null'::jsonb)`;
        holding();
        await held;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await holdingNow;
    const startedAtMs = Date.now();
    const blockedReply = transfers.transfer(blocked);
    const freeReply = await transfers.transfer(free);
    const freeMs = Date.now() - startedAtMs;
    setTimeout(releaseHolder, 6_000);
    const blockedResult = await blockedReply;
    const blockedMs = Date.now() - startedAtMs;
    await holder;
    expect(freeMs).toBeLessThan(5_000);
    expect(blockedMs).toBeGreaterThanOrEqual(6_000);
    expect(freeReply.to.available).toBe('7');
    expect(blockedResult.to.available).toBe('107');
    expect(await balances(context, to)).toEqual({ available: 107n, locked: 0n });
    const [row] = await context.sql<Array<{ count: number }>>`
      select count(*)::int as count from transfers where debit_account_id = ${freeReply.from.accountId} and amount = 100`;
    expect(row?.count).toBe(1);
  }, 30_000);

  it('answers a batch stuck past its deadline "unavailable", frees its slot for the next batch, and a retry under the same key replays the late commit', async () => {
    const overdue: Array<{ commands: number; settled?: string }> = [];
    const transfers = batcher(new Registry(), { deadlineMs: 1_000, onOverdue: ({ commands, settled }) => overdue.push({ commands, ...(settled ? { settled } : {}) }) });
    const from = await fundedUser(context, 1_000n);
    const to = await fundedUser(context, 0n);
    const other = await fundedUser(context, 500n);
    const otherPayee = await fundedUser(context, 0n);
    // Another transaction holds the payer's account row for 4 s: both batch slots block on it.
    const [fromAccount] = await context.sql<Array<{ id: string }>>`
      select id::text as id from accounts where user_id = ${from} and kind = 'user_available'`;
    let holding: () => void = () => undefined;
    const holdingNow = new Promise<void>((resolve) => (holding = resolve));
    const holder = context.sql.begin(async (tx) => {
      await tx`select id from accounts where id = ${fromAccount!.id} for update`;
      holding();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
    });
    await holdingNow;
    const startedAtMs = Date.now();
    const first = request(from, to, 100n);
    const second = request(from, to, 200n);
    const firstReply = settle([transfers.transfer(first)]);
    const secondReply = settle([transfers.transfer(second)]);
    // Queued behind the two stuck batches; answered once their slots are freed, not when the lock goes.
    const freeReply = await transfers.transfer(request(other, otherPayee, 50n));
    const freeMs = Date.now() - startedAtMs;
    const [[firstResult], [secondResult]] = await Promise.all([firstReply, secondReply]);
    expect(firstResult).toEqual({ ok: false, code: LedgerCommandErrors.unavailable });
    expect(secondResult).toEqual({ ok: false, code: LedgerCommandErrors.unavailable });
    expect(freeReply.to.available).toBe('50');
    expect(freeMs).toBeGreaterThanOrEqual(1_000);
    expect(freeMs).toBeLessThan(3_500);

    // The lock goes; the stuck transactions commit late. Retried under their keys, they replay.
    await holder;
    await waitFor(() => (overdue.filter((event) => event.settled === 'committed').length === 2 ? true : undefined), {
      timeoutMs: 10_000,
      description: 'both overdue batches committed',
    });
    expect(overdue.filter((event) => event.settled === undefined)).toEqual([{ commands: 1 }, { commands: 1 }]);
    const retries = await Promise.all([transfers.transfer(first), transfers.transfer(second)]);
    const again = await Promise.all([transfers.transfer(first), transfers.transfer(second)]);
    expect(again.map((reply) => reply.transferId)).toEqual(retries.map((reply) => reply.transferId));
    expect(await balances(context, from)).toEqual({ available: 700n, locked: 0n });
    const [row] = await context.sql<Array<{ count: number }>>`
      select count(*)::int as count from transfers where debit_account_id = ${fromAccount!.id}::uuid`;
    expect(row?.count).toBe(2);
    expect((await checkInvariants(context.database.db)).violations).toEqual([]);
  }, 30_000);
});
