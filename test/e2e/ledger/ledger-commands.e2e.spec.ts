// Proves, against the built ledger running as a real process on the shared PostgreSQL and NATS, that
// money commands are safe under concurrency and retries: 200 concurrent withdrawals against a
// balance covering exactly 37 of them leave exactly 37 holds and a balance of exactly zero, and the
// idempotency promises of `transfer` hold — a replay returns the first answer (a refusal stays a
// refusal), another body under a used key is refused without effect, and two concurrent requests
// with one key execute once. The operational flags refuse what they must (maintenance: withdrawals;
// emergency stop: every outgoing movement) while reads go on, and a refusal does not take the key.
// Money enters only as `deposit confirmed` events; every command goes through the typed client,
// retried with the same key on retryable answers as callers must.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerCommandErrors, requestWithdrawalV1, transferV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { CommandError, Flags, setFlag, type Flag } from '@strongbox/shared-messaging';
import { waitFor } from '@strongbox/shared-testing';
import { callUntilDefinitive, startLedgerStack, type LedgerStack } from '../support/ledger-stack';

const USDT = 1_000_000n;
const WITHDRAWAL_AMOUNT = 2n * USDT;
const WITHDRAWAL_FEE = 1n * USDT;
const COVERED_WITHDRAWALS = 37;
const CONCURRENT_WITHDRAWALS = 200;
/** How long one logical call may keep retrying retryable answers before the test gives up. */
const CALL_DEADLINE_MS = 30_000;

let ledger: LedgerStack;

beforeAll(async () => {
  ledger = await startLedgerStack({
    prefix: 'lgcmd',
    extraEnv: {
      // Limits and fraud rules out of the way: the race is about the balance alone. Fraud rules
      // never refuse anyway (they only route to an admin), but velocity is raised to keep the
      // withdrawals in the plain `held` path as far as the rules allow.
      LEDGER_WITHDRAWAL_MIN_MINOR: String(USDT),
      LEDGER_WITHDRAWAL_MAX_MINOR: String(1_000n * USDT),
      LEDGER_WITHDRAWAL_DAILY_MAX_MINOR: String(10n ** 30n),
      LEDGER_WITHDRAWAL_FEE_MINOR: String(WITHDRAWAL_FEE),
      LEDGER_FRAUD_VELOCITY_PER_HOUR: '1000',
      LEDGER_RECONCILE_INTERVAL_MS: '1000',
    },
  });
}, 120_000);

afterAll(async () => {
  await ledger?.teardown();
}, 60_000);

/** The CommandError a promise rejects with; fails the test when it resolves or throws anything else. */
async function commandError(promise: Promise<unknown>): Promise<CommandError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a CommandError, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CommandError);
  return error as CommandError;
}

async function transfersFrom(userId: string): Promise<Array<{ id: string; amount: string }>> {
  return ledger.sql<Array<{ id: string; amount: string }>>`
    select t.id, t.amount::text from transfers t join accounts a on a.id = t.debit_account_id
    where a.user_id = ${userId} and t.code = 'internal_transfer' order by t.id`;
}

describe('ledger commands under concurrency (real process)', () => {
  it('200 concurrent withdrawals against a balance covering 37: exactly 37 succeed, 163 are refused for insufficient funds, available ends at 0 and never goes below', async () => {
    const userId = await ledger.openUser();
    const funded = BigInt(COVERED_WITHDRAWALS) * (WITHDRAWAL_AMOUNT + WITHDRAWAL_FEE);
    await ledger.fund(userId, funded);
    const [account] = await ledger.sql<Array<{ id: string }>>`select id from accounts where user_id = ${userId} and kind = 'user_available'`;

    // A reader samples the account row while the race runs: the database must never show it below zero.
    let racing = true;
    let samples = 0;
    let lowestAvailable = funded;
    const sampler = (async () => {
      while (racing) {
        const [row] = await ledger.sql<Array<{ available: string }>>`
          select (credits_posted - debits_posted - debits_pending)::text as available from accounts where id = ${account!.id}`;
        const available = BigInt(row!.available);
        if (available < lowestAvailable) lowestAvailable = available;
        samples += 1;
      }
    })();

    const startedAt = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: CONCURRENT_WITHDRAWALS }, (_, index) =>
        callUntilDefinitive(
          ledger.client,
          requestWithdrawalV1,
          {
            idempotencyKey: `race-${userId}-${index}`,
            userId,
            asset: 'USDT',
            amount: WITHDRAWAL_AMOUNT.toString(),
            toAddress: '0x00000000000000000000000000000000000000a1',
          },
          { deadlineMs: CALL_DEADLINE_MS },
        ),
      ),
    ).finally(() => {
      racing = false;
    });
    const elapsedMs = Date.now() - startedAt;
    await sampler;

    const succeeded = outcomes.filter((outcome) => outcome.ok);
    const refusals = outcomes.flatMap((outcome) => (outcome.ok ? [] : [outcome.error.code]));
    const retried = outcomes.filter((outcome) => outcome.retryableCodes.length > 0).length;
    console.info(
      `withdrawal race: ${succeeded.length} held, ${refusals.length} refused in ${elapsedMs} ms; ` +
        `${retried} calls saw retryable answers first (${[...new Set(outcomes.flatMap((o) => o.retryableCodes))].join(', ') || 'none'}); ` +
        `${samples} samples of the row, lowest available ${lowestAvailable}`,
    );
    expect(succeeded).toHaveLength(COVERED_WITHDRAWALS);
    expect(refusals).toEqual(Array.from({ length: CONCURRENT_WITHDRAWALS - COVERED_WITHDRAWALS }, () => LedgerCommandErrors.insufficientFunds));
    expect(lowestAvailable).toBeGreaterThanOrEqual(0n);

    const balance = await ledger.available(userId);
    expect(balance).toBe(0n);
    const [row] = await ledger.accounts().then((accounts) => accounts.filter((a) => a.id === account!.id));
    expect(row).toMatchObject({ creditsPosted: funded, debitsPosted: 0n, debitsPending: funded });

    // Each success is one withdrawal with its two holds (amount and fee); each refusal left nothing.
    const [withdrawals] = await ledger.sql<Array<{ count: number }>>`select count(*)::int as count from withdrawals where user_id = ${userId}`;
    expect(withdrawals!.count).toBe(COVERED_WITHDRAWALS);
    const holds = await ledger.sql<Array<{ code: string; count: number }>>`
      select code, count(*)::int as count from transfers where debit_account_id = ${account!.id} and kind = 'pending' group by code order by code`;
    expect(holds).toEqual([
      { code: 'withdrawal', count: COVERED_WITHDRAWALS },
      { code: 'withdrawal_fee', count: COVERED_WITHDRAWALS },
    ]);

    expect(await ledger.invariantViolations()).toEqual([]);
    expect(Object.values(await ledger.reconciliation())).toEqual([0, 0, 0, 0]);
  });

  it('idempotency: the same key with the same body returns the first result again and the transfer exists once', async () => {
    const alice = await ledger.openUser();
    const bob = await ledger.openUser();
    await ledger.fund(alice, 50n * USDT);
    const request = { idempotencyKey: `same-${newId()}`, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(5n * USDT), note: 'lunch' };

    const first = await ledger.client.call(transferV1, request);
    // Another movement in between changes both balances: a replay must still show the first answer,
    // not a fresh computation.
    await ledger.client.call(transferV1, { ...request, idempotencyKey: `other-${newId()}`, amount: String(1n * USDT) });
    const replay = await ledger.client.call(transferV1, request);

    expect(replay).toEqual(first);
    expect(first.from.available).toBe(String(45n * USDT));
    expect(await ledger.available(alice)).toBe(44n * USDT);
    const transfers = await transfersFrom(alice);
    expect(transfers.filter((transfer) => transfer.id === first.transferId)).toHaveLength(1);
    expect(transfers).toHaveLength(2);
  });

  it('idempotency: a refusal stays a refusal under its key, even after the user has been funded', async () => {
    const alice = await ledger.openUser();
    const bob = await ledger.openUser();
    const request = { idempotencyKey: `refused-${newId()}`, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(5n * USDT) };

    const refused = await commandError(ledger.client.call(transferV1, request));
    expect(refused).toMatchObject({ code: LedgerCommandErrors.insufficientFunds, retryable: false });

    await ledger.fund(alice, 10n * USDT);
    const again = await commandError(ledger.client.call(transferV1, request));
    expect({ code: again.code, message: again.message, retryable: again.retryable, details: again.details }).toEqual({
      code: refused.code,
      message: refused.message,
      retryable: refused.retryable,
      details: refused.details,
    });
    expect(await ledger.available(alice)).toBe(10n * USDT);
    expect(await transfersFrom(alice)).toEqual([]);

    // The money is there: the same request under a new key goes through, so the replayed refusal
    // above was the stored answer, not a fresh decision.
    const fresh = await ledger.client.call(transferV1, { ...request, idempotencyKey: `refused-new-${newId()}` });
    expect(fresh.from.available).toBe(String(5n * USDT));
  });

  it('idempotency: the same key with a different body is refused with LEDGER_ERR_IDEMPOTENCY_CONFLICT and changes nothing', async () => {
    const alice = await ledger.openUser();
    const bob = await ledger.openUser();
    await ledger.fund(alice, 20n * USDT);
    const request = { idempotencyKey: `conflict-${newId()}`, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(5n * USDT) };
    const first = await ledger.client.call(transferV1, request);
    const [keyBefore] = await ledger.sql`select request_hash, response from idempotency_keys where scope = 'ledger.transfer' and key = ${request.idempotencyKey}`;

    const conflict = await commandError(ledger.client.call(transferV1, { ...request, amount: String(6n * USDT) }));
    expect(conflict).toMatchObject({ code: LedgerCommandErrors.idempotencyConflict, retryable: false });

    expect(await ledger.available(alice)).toBe(15n * USDT);
    expect(await ledger.available(bob)).toBe(5n * USDT);
    expect((await transfersFrom(alice)).map((transfer) => transfer.id)).toEqual([first.transferId]);
    const [keyAfter] = await ledger.sql`select request_hash, response from idempotency_keys where scope = 'ledger.transfer' and key = ${request.idempotencyKey}`;
    expect(keyAfter).toEqual(keyBefore);
    // And the original body under the key still replays the first result.
    expect(await ledger.client.call(transferV1, request)).toEqual(first);
  });

  it('idempotency: two concurrent requests with one key execute once and both callers get the same result', async () => {
    const alice = await ledger.openUser();
    const bob = await ledger.openUser();
    await ledger.fund(alice, 100n * USDT);
    // Ten keys, each sent twice at the same moment, all twenty requests in flight together.
    const requests = Array.from({ length: 10 }, (_, index) => ({
      idempotencyKey: `twice-${index}-${newId()}`,
      fromUserId: alice,
      toUserId: bob,
      asset: 'USDT',
      amount: String(BigInt(index + 1) * USDT),
    }));
    const outcomes = await Promise.all(
      requests.flatMap((request) => [0, 1].map(() => callUntilDefinitive(ledger.client, transferV1, request, { deadlineMs: CALL_DEADLINE_MS }))),
    );

    const inProgress = outcomes.filter((outcome) => outcome.retryableCodes.includes(LedgerCommandErrors.inProgress)).length;
    console.info(`concurrent duplicates: ${inProgress} of ${outcomes.length} callers were told LEDGER_ERR_IN_PROGRESS first and retried`);
    for (const [index, request] of requests.entries()) {
      const [a, b] = [outcomes[2 * index]!, outcomes[2 * index + 1]!];
      if (!a.ok || !b.ok) throw new Error(`key ${request.idempotencyKey}: ${JSON.stringify([a, b])}`);
      expect(b.result).toEqual(a.result);
    }
    const transfers = await transfersFrom(alice);
    expect(transfers).toHaveLength(requests.length);
    expect(new Set(transfers.map((transfer) => transfer.id))).toEqual(new Set(outcomes.map((outcome) => (outcome.ok ? outcome.result.transferId : ''))));
    // 1 + 2 + … + 10 = 55 USDT moved once each.
    expect(await ledger.available(alice)).toBe(45n * USDT);
    expect(await ledger.available(bob)).toBe(55n * USDT);
  });

  it('maintenance refuses withdrawals, the emergency stop refuses every outgoing movement, reads keep working, and a refusal is not remembered under its key', async () => {
    const from = await ledger.openUser();
    const to = await ledger.openUser();
    await ledger.fund(from, 10n * USDT);
    const withdrawal = {
      idempotencyKey: `flag-withdrawal-${from}`,
      userId: from,
      asset: 'USDT',
      amount: WITHDRAWAL_AMOUNT.toString(),
      toAddress: '0x00000000000000000000000000000000000000a1',
    };
    const transfer = { idempotencyKey: `flag-transfer-${from}`, fromUserId: from, toUserId: to, asset: 'USDT', amount: String(USDT) };
    const codeOf = (promise: Promise<unknown>): Promise<string> =>
      promise.then(
        () => 'ok',
        (error: unknown) => (error instanceof CommandError ? error.code : String(error)),
      );
    /**
     * Sets a flag and waits until the ledger refuses with `code`. The probe asks for far more than
     * the balance under a fresh key, so before the ledger sees the flag it is refused for lack of
     * funds and moves nothing.
     */
    const setAndWait = async (flag: Flag, code: string, probe: (key: string) => Promise<unknown>) => {
      await setFlag(ledger.nc, ledger.namespace, flag, { on: true, reason: 'node upgrade', setBy: 'ledger-commands.e2e' });
      await waitFor(async () => (await codeOf(probe(`flag-probe-${newId()}`))) === code, { timeoutMs: 10_000, description: `the ledger refuses with ${code}` });
    };
    const tooMuch = String(1_000n * USDT);

    await setAndWait(Flags.maintenance, LedgerCommandErrors.maintenance, (key) =>
      ledger.client.call(requestWithdrawalV1, { ...withdrawal, idempotencyKey: key, amount: tooMuch }),
    );
    const maintenance = await commandError(ledger.client.call(requestWithdrawalV1, withdrawal));
    expect(maintenance.code).toBe(LedgerCommandErrors.maintenance);
    expect(maintenance.retryable).toBe(true);
    expect(maintenance.message).toContain('node upgrade');
    // Maintenance is about the chain: transfers between users go on.
    expect((await ledger.client.call(transferV1, transfer)).transferId).toBeTruthy();
    await setFlag(ledger.nc, ledger.namespace, Flags.maintenance, { on: false, reason: 'done', setBy: 'ledger-commands.e2e' });

    await setAndWait(Flags.emergencyStop, LedgerCommandErrors.emergencyStop, (key) =>
      ledger.client.call(transferV1, { ...transfer, idempotencyKey: key, amount: tooMuch }),
    );
    expect(await codeOf(ledger.client.call(transferV1, { ...transfer, idempotencyKey: `flag-stopped-${from}` }))).toBe(LedgerCommandErrors.emergencyStop);
    expect(await codeOf(ledger.client.call(requestWithdrawalV1, withdrawal))).toBe(LedgerCommandErrors.emergencyStop);
    // Reads keep working under the stop.
    expect(await ledger.available(from)).toBe(9n * USDT);
    await setFlag(ledger.nc, ledger.namespace, Flags.emergencyStop, { on: false, reason: 'done', setBy: 'ledger-commands.e2e' });

    // The refused keys were not taken: once the flags are off, the same requests execute.
    const held = await callUntilDefinitive(ledger.client, requestWithdrawalV1, withdrawal, { deadlineMs: CALL_DEADLINE_MS });
    expect(held.ok).toBe(true);
    const moved = await callUntilDefinitive(
      ledger.client,
      transferV1,
      { ...transfer, idempotencyKey: `flag-stopped-${from}` },
      { deadlineMs: CALL_DEADLINE_MS },
    );
    expect(moved.ok).toBe(true);
    expect(await ledger.available(from)).toBe(10n * USDT - 2n * USDT - WITHDRAWAL_AMOUNT - WITHDRAWAL_FEE);
    expect(await ledger.invariantViolations()).toEqual([]);
  }, 60_000);
});

