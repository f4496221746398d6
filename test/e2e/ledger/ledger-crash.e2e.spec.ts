// Proves that the ledger loses nothing and applies nothing twice when its process is SIGKILLed
// under load. Twenty users funded by `deposit confirmed` events send each other transfers from
// sixteen concurrent callers; each transfer has its own idempotency key, and a caller retries it with
// the SAME key on every retryable answer (timeout, no responders, busy, in progress) until the answer
// is definitive — as the command contract asks. Meanwhile the ledger is SIGKILLed and restarted three
// times. Afterwards, from the ledger's own tables: every key holds exactly the answer its caller got,
// every acknowledged transfer exists exactly once and no transfer exists that no key refers to, each
// balance equals the funding plus the acknowledged transfers in and out (nothing half-applied), the
// money of the users equals the money deposited, and the four invariants hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerCommandErrors, transferV1 } from '@strongbox/shared-contracts';
import { waitFor } from '@strongbox/shared-testing';
import { callUntilDefinitive, startLedgerStack, type Definitive, type LedgerStack } from '../support/ledger-stack';

const USDT = 1_000_000n;
const USERS = 20;
const FUNDING = 100n * USDT;
const CALLERS = 16;
const KILLS = 3;
/** Transfers acknowledged between one restart and the next kill (and after the last restart). */
const ACKS_BETWEEN_KILLS = 150;
/** A call's reply wait: short, so the calls a kill leaves without a reply are retried quickly. */
const CALL_TIMEOUT_MS = 2_000;
/** How long one transfer may keep being retried before the test gives up on it. */
const OPERATION_DEADLINE_MS = 60_000;

let ledger: LedgerStack;

beforeAll(async () => {
  ledger = await startLedgerStack({ prefix: 'lgcrash', extraEnv: { LEDGER_RECONCILE_INTERVAL_MS: '1000' } });
}, 120_000);

afterAll(async () => {
  await ledger?.teardown();
}, 60_000);

interface Operation {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  readonly startedAtMs: number;
  finishedAtMs?: number;
  outcome?: Definitive<{ transferId: string }>;
}

interface StoredAnswer {
  ok: boolean;
  result?: { transferId: string };
  error?: { code: string };
}

describe('ledger killed under load (real process)', () => {
  it('SIGKILLed and restarted three times during concurrent transfers: every acknowledged transfer exists once, nothing is half-applied, money is conserved, invariants hold', async () => {
    const users = await Promise.all(Array.from({ length: USERS }, () => ledger.openUser()));
    await Promise.all(users.map((userId) => ledger.fund(userId, FUNDING)));

    const operations: Operation[] = [];
    let acknowledged = 0;
    let stopping = false;
    const caller = async (callerIndex: number): Promise<void> => {
      for (let index = 0; !stopping; index += 1) {
        const from = users[Math.floor(Math.random() * USERS)]!;
        let to = users[Math.floor(Math.random() * USERS)]!;
        if (to === from) to = users[(users.indexOf(from) + 1) % USERS]!;
        const operation: Operation = {
          key: `crash-${callerIndex}-${index}`,
          from,
          to,
          amount: BigInt(1 + Math.floor(Math.random() * 20)) * USDT,
          startedAtMs: Date.now(),
        };
        operations.push(operation);
        operation.outcome = await callUntilDefinitive(
          ledger.client,
          transferV1,
          { idempotencyKey: operation.key, fromUserId: from, toUserId: to, asset: 'USDT', amount: operation.amount.toString() },
          { deadlineMs: OPERATION_DEADLINE_MS, timeoutMs: CALL_TIMEOUT_MS },
        );
        operation.finishedAtMs = Date.now();
        acknowledged += 1;
      }
    };
    const load = Promise.all(Array.from({ length: CALLERS }, (_, index) => caller(index)));
    // A caller that gives up must stop the others too, or the test would wait on them forever.
    load.catch(() => {
      stopping = true;
    });

    const restartsMs: number[] = [];
    const inFlightAtKill: number[] = [];
    const killedAtMs: number[] = [];
    try {
      for (let kill = 0; kill < KILLS; kill += 1) {
        const target = acknowledged + ACKS_BETWEEN_KILLS;
        await Promise.race([
          load.then(() => {
            throw new Error('the load ended before the kill');
          }),
          waitFor(() => acknowledged >= target, { timeoutMs: 60_000, intervalMs: 10, description: `${target} acknowledged transfers` }),
        ]);
        inFlightAtKill.push(operations.filter((operation) => !operation.outcome).length);
        killedAtMs.push(Date.now());
        restartsMs.push(await ledger.killAndRestart());
      }
      const target = acknowledged + ACKS_BETWEEN_KILLS;
      await waitFor(() => acknowledged >= target, { timeoutMs: 60_000, intervalMs: 10, description: `${target} acknowledged transfers after the last restart` });
    } finally {
      stopping = true;
    }
    await load;

    // What the callers were told.
    const succeeded = operations.filter((operation) => operation.outcome?.ok);
    const refused = operations.filter((operation) => operation.outcome && !operation.outcome.ok);
    const retried = operations.filter((operation) => (operation.outcome?.retryableCodes.length ?? 0) > 0);
    const retryCodes = new Map<string, number>();
    for (const operation of retried) for (const code of operation.outcome!.retryableCodes) retryCodes.set(code, (retryCodes.get(code) ?? 0) + 1);
    expect(operations.every((operation) => operation.outcome !== undefined)).toBe(true);
    expect(new Set(refused.map((operation) => (operation.outcome!.ok ? '' : operation.outcome!.error.code)))).toEqual(
      refused.length > 0 ? new Set([LedgerCommandErrors.insufficientFunds]) : new Set(),
    );
    // The kills must have hit transfers in flight, or this test proved nothing about crashes.
    expect(retried.length).toBeGreaterThan(0);

    // Every key holds the answer its caller got; no key exists that no caller sent.
    const keyRows = await ledger.sql<Array<{ key: string; response: StoredAnswer; created_ms: number }>>`
      select key, response, (extract(epoch from created_at) * 1000)::float8 as created_ms from idempotency_keys where scope = 'ledger.transfer'`;
    const stored = new Map(keyRows.map((row) => [row.key, row.response]));
    // A key written before a kill that its caller was still waiting through was committed by the
    // killed process and answered by the new one from the stored response: a replay.
    const createdMs = new Map(keyRows.map((row) => [row.key, row.created_ms]));
    const replayedAfterKill = retried.filter((operation) =>
      killedAtMs.some(
        (killedAt) => operation.startedAtMs < killedAt && operation.finishedAtMs! > killedAt && (createdMs.get(operation.key) ?? Infinity) < killedAt,
      ),
    ).length;
    console.info(
      `crash test: ${operations.length} transfers, ${succeeded.length} acknowledged ok, ${refused.length} refused; ` +
        `in flight at each kill ${inFlightAtKill.join('/')}, restarts to serving ${restartsMs.join('/')} ms; ` +
        `${retried.length} transfers needed retries, ${replayedAfterKill} of them committed by a killed process and replayed (${[...retryCodes].map(([code, count]) => `${code} ×${count}`).join(', ')})`,
    );

    expect(stored.size).toBe(operations.length);
    for (const operation of operations) {
      const answer = stored.get(operation.key);
      const outcome = operation.outcome!;
      expect({ key: operation.key, answer: answer && (answer.ok ? answer.result?.transferId : answer.error?.code) }).toEqual({
        key: operation.key,
        answer: outcome.ok ? outcome.result.transferId : outcome.error.code,
      });
    }

    // Exactly one transfer per acknowledged success, and none that no key refers to.
    const transfers = await ledger.sql<Array<{ id: string }>>`select id from transfers where code = 'internal_transfer'`;
    const acknowledgedIds = succeeded.map((operation) => (operation.outcome!.ok ? operation.outcome!.result.transferId : ''));
    expect(transfers).toHaveLength(succeeded.length);
    expect(new Set(transfers.map((row) => row.id))).toEqual(new Set(acknowledgedIds));

    // Each balance is the funding plus what the acknowledged transfers moved: nothing half-applied.
    const expected = new Map(users.map((userId) => [userId, FUNDING]));
    for (const operation of succeeded) {
      expected.set(operation.from, expected.get(operation.from)! - operation.amount);
      expected.set(operation.to, expected.get(operation.to)! + operation.amount);
    }
    const accounts = (await ledger.accounts()).filter((account) => account.kind === 'user_available');
    const actual = new Map(accounts.map((account) => [account.userId, account.creditsPosted - account.debitsPosted - account.debitsPending]));
    expect(actual).toEqual(expected);
    for (const account of accounts) expect(account.debitsPending).toBe(0n);

    // Money is conserved: what the users hold is what was deposited.
    const [deposited] = await ledger.sql<Array<{ total: string; count: number }>>`select sum(amount)::text as total, count(*)::int as count from deposits`;
    expect(deposited).toEqual({ total: String(BigInt(USERS) * FUNDING), count: USERS });
    expect([...actual.values()].reduce((sum, balance) => sum + balance, 0n)).toBe(BigInt(USERS) * FUNDING);

    expect(await ledger.invariantViolations()).toEqual([]);
    expect(Object.values(await ledger.reconciliation())).toEqual([0, 0, 0, 0]);
  });
});
