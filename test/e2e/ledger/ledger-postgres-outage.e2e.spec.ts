// Proves the ledger's degradation when its PostgreSQL dies (issue 3, point 12), with the built
// ledger as a real process on a PRIVATE PostgreSQL that the test SIGKILLs: while it is down, commands
// fail fast with a retryable "unavailable" code and change nothing, /readyz answers 503 naming
// PostgreSQL, and a deposit event published meanwhile is not acknowledged. After PostgreSQL is
// restarted the same ledger process — never restarted itself — becomes ready again, a transfer goes
// through, a transfer refused during the outage succeeds when retried under its key, and the deposit
// is credited through JetStream's redelivery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBalanceV1, LedgerCommandErrors, transferV1 } from '@strongbox/shared-contracts';
import { CommandErrorCodes } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { CommandError } from '@strongbox/shared-messaging';
import { startPrivatePostgres, waitFor, type PrivateServer } from '@strongbox/shared-testing';
import { callUntilDefinitive, creditConsumer, startLedgerStack, type LedgerStack } from '../support/ledger-stack';

const USDT = 1_000_000n;
/** Commands sent while PostgreSQL is down. */
const OUTAGE_CALLS = 8;
/** Longest answer to a command while the breaker is open: no database round trip is attempted. */
const FAST_FAILURE_MS = 1_000;
const UNAVAILABLE_CODES = [LedgerCommandErrors.unavailable, CommandErrorCodes.unavailable];

let postgres: PrivateServer;
let postgresStartMs: number;
let ledger: LedgerStack;

beforeAll(async () => {
  const startedAt = Date.now();
  postgres = await startPrivatePostgres();
  postgresStartMs = Date.now() - startedAt;
  ledger = await startLedgerStack({ prefix: 'lgpgdown', privateDatabaseUrl: postgres.url, extraEnv: { LEDGER_RECONCILE_INTERVAL_MS: '1000' } });
}, 120_000);

afterAll(async () => {
  // The private PostgreSQL goes away whatever the ledger's teardown says, and its schema with it.
  try {
    await ledger?.teardown();
  } finally {
    await postgres?.stop();
  }
}, 60_000);

/** Sends one command and returns how it failed and how long the answer took; fails the test if it succeeds. */
async function failedCall(send: () => Promise<unknown>): Promise<{ code: string; retryable: boolean; elapsedMs: number; message: string }> {
  const startedAt = Date.now();
  const error = await send().then(
    (value) => {
      throw new Error(`expected the command to fail while PostgreSQL is down, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
  if (!(error instanceof CommandError)) throw error;
  return { code: error.code, retryable: error.retryable, elapsedMs: Date.now() - startedAt, message: error.message };
}

describe('PostgreSQL down (real process, private PostgreSQL)', () => {
  it('commands fail fast and retryably, /readyz says not ready, and after PostgreSQL returns the same process serves again and credits the deposit published meanwhile', async () => {
    const alice = await ledger.openUser();
    const bob = await ledger.openUser();
    await ledger.fund(alice, 50n * USDT);
    await ledger.client.call(transferV1, { idempotencyKey: `before-${newId()}`, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(1n * USDT) });
    const pid = ledger.service.pid;
    // The ledger must live through the outage. Should it die, the waits below fail at once, naming
    // the exit and the ledger's last words, rather than timing out on a closed port.
    const died = ledger.service.exited().then((exit) => {
      throw new Error(`the ledger process exited (${JSON.stringify(exit)}) during the PostgreSQL outage:\n${ledger.service.logs().slice(-15).join('\n')}`);
    });
    died.catch(() => undefined);
    const unlessDied = <T>(work: Promise<T>): Promise<T> => Promise.race([work, died]);

    await postgres.kill();
    const downAt = Date.now();

    // Money commands and reads alike are refused with a retryable code, fast.
    const refusedKeys: string[] = [];
    const failures = [];
    for (let call = 0; call < OUTAGE_CALLS; call += 1) {
      const key = `outage-${call}-${newId()}`;
      refusedKeys.push(key);
      failures.push(
        await failedCall(() => ledger.client.call(transferV1, { idempotencyKey: key, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(1n * USDT) })),
      );
    }
    failures.push(await failedCall(() => ledger.client.call(getBalanceV1, { userId: alice, asset: 'USDT' })));
    for (const failure of failures) {
      // Every answer is in the message, so a failure here says which call got what.
      expect(UNAVAILABLE_CODES, JSON.stringify(failures)).toContain(failure.code);
      expect(failure.retryable, JSON.stringify(failures)).toBe(true);
    }

    // /readyz: not ready, PostgreSQL down and the command breaker open.
    const notReady = await unlessDied(
      waitFor(
        async () => {
          const answer = await ledger.readyz();
          return answer.status === 503 && answer.body.checks['postgres-commands']?.detail?.['state'] === 'open' ? answer : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, description: '/readyz 503 with the postgres-commands breaker open' },
      ),
    );
    expect(notReady.body.checks['postgres']).toMatchObject({ status: 'down', required: true });
    // With the breaker open a command is refused without trying the database at all.
    const whileOpen = await failedCall(() =>
      ledger.client.call(transferV1, { idempotencyKey: `open-${newId()}`, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(1n * USDT) }),
    );
    expect(whileOpen).toMatchObject({ code: LedgerCommandErrors.unavailable, retryable: true });
    expect(whileOpen.elapsedMs).toBeLessThan(FAST_FAILURE_MS);

    // A deposit confirmed during the outage is delivered, fails, and stays unacknowledged.
    const deposit = ledger.depositEvent(alice, 10n * USDT);
    const published = await ledger.publish(deposit);
    const [stream, durable] = creditConsumer(ledger.namespace);
    await unlessDied(
      waitFor(
        async () => {
          const info = await ledger.jsm.consumers.info(stream, durable);
          return info.num_redelivered > 0 && info.ack_floor.stream_seq < published.seq;
        },
        { timeoutMs: 15_000, intervalMs: 100, description: 'the deposit redelivered and not acknowledged while PostgreSQL is down' },
      ),
    );

    const restartStartedAt = Date.now();
    await postgres.restart();
    const postgresRestartMs = Date.now() - restartStartedAt;

    // The same process recovers on its own: ready again, a transfer goes through.
    const readyAfterMs = await unlessDied(
      waitFor(
        async () => ((await ledger.readyz()).status === 200 ? Date.now() - restartStartedAt : undefined),
        { timeoutMs: 30_000, intervalMs: 100, description: '/readyz 200 after PostgreSQL is back' },
      ),
    );
    expect(ledger.service.pid).toBe(pid);
    expect(() => process.kill(pid!, 0)).not.toThrow();
    const after = await callUntilDefinitive(
      ledger.client,
      transferV1,
      { idempotencyKey: `after-${newId()}`, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(2n * USDT) },
      { deadlineMs: 30_000 },
    );
    expect(after.ok).toBe(true);
    // A transfer refused during the outage was not recorded under its key: retried now, it executes
    // (once: the balances below count it a single time, however many attempts the retry took).
    const retriedLater = await callUntilDefinitive(
      ledger.client,
      transferV1,
      { idempotencyKey: refusedKeys[0]!, fromUserId: alice, toUserId: bob, asset: 'USDT', amount: String(1n * USDT) },
      { deadlineMs: 30_000 },
    );
    expect(retriedLater.ok && retriedLater.result.transferId).toBeTruthy();

    await ledger.waitForDeposit(deposit, 'credited', 60_000);
    const creditedAfterMs = Date.now() - restartStartedAt;
    console.info(
      `postgres outage: private PostgreSQL started in ${postgresStartMs} ms, down for ${restartStartedAt - downAt} ms, restarted in ${postgresRestartMs} ms; ` +
        `outage answers ${failures.map((failure) => `${failure.code}/${failure.elapsedMs}ms`).join(', ')}; open-breaker answer ${whileOpen.elapsedMs} ms; ` +
        `ready ${readyAfterMs} ms after the restart began, first transfer after ${after.attempts} attempt(s) (${after.retryableCodes.join(', ') || 'no retries'}), ` +
        `refused transfer retried in ${retriedLater.attempts} attempt(s) (${retriedLater.retryableCodes.join(', ') || 'no retries'}), deposit credited after ${creditedAfterMs} ms`,
    );

    // 50 in, 1 before, 2 after, 1 retried, 10 from the deposit: nothing from the outage got through twice or half.
    expect(await ledger.available(alice)).toBe(56n * USDT);
    expect(await ledger.available(bob)).toBe(4n * USDT);
    const [keys] = await ledger.sql<Array<{ count: number }>>`
      select count(*)::int as count from idempotency_keys where scope = 'ledger.transfer' and key like 'outage-%'`;
    expect(keys!.count).toBe(1);
    expect(await ledger.invariantViolations()).toEqual([]);
  });
});
