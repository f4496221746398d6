// Proves how the built ledger, running as a real process on the shared PostgreSQL and NATS, takes
// money in from the chain: a `deposit confirmed` event stored five times in the stream under one
// event id, and published once more under a new event id, credits the user exactly once (the inbox
// drops the copies, the deposit's on-chain key drops the re-publication); and a `deposit reverted`
// after the user spent part of the deposit takes what is left, leaves the user at zero — never
// below — and books the spent part on the negative exposure account, with the invariants intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depositConfirmedV1, streamName, StreamBases, transferV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { waitFor } from '@strongbox/shared-testing';
import { creditConsumer, startLedgerStack, type LedgerStack } from '../support/ledger-stack';

const USDT = 1_000_000n;

let ledger: LedgerStack;

beforeAll(async () => {
  ledger = await startLedgerStack({ prefix: 'lgdep', extraEnv: { LEDGER_RECONCILE_INTERVAL_MS: '1000' } });
}, 120_000);

afterAll(async () => {
  await ledger?.teardown();
}, 60_000);

/** Waits until the credit consumer has acknowledged every message up to `streamSeq`. */
async function waitUntilCreditsAcked(streamSeq: number): Promise<void> {
  const [stream, durable] = creditConsumer(ledger.namespace);
  await waitFor(
    async () => {
      const info = await ledger.jsm.consumers.info(stream, durable);
      return info.ack_floor.stream_seq >= streamSeq && info.num_ack_pending === 0 && info.num_pending === 0;
    },
    { timeoutMs: 20_000, intervalMs: 50, description: `the credit consumer acknowledging up to stream sequence ${streamSeq}` },
  );
}

async function deadLetters(): Promise<number> {
  return (await ledger.jsm.streams.info(streamName(ledger.namespace, StreamBases.deadLetters))).state.messages;
}

describe('deposits from the chain (real process)', () => {
  it('the same `deposit confirmed` event delivered five times and re-published under a new event id credits the user once', async () => {
    const userId = await ledger.openUser();
    const event = ledger.depositEvent(userId, 7n * USDT);

    // Five copies of one event: distinct message ids defeat JetStream's de-duplication on purpose,
    // so the stream really holds five messages and the ledger's own inbox must absorb them.
    const copies = [];
    for (let copy = 0; copy < 5; copy += 1) copies.push(await ledger.publish(event, `${event.id}:copy-${copy}`));
    expect(copies.map((ack) => ack.duplicate)).toEqual([false, false, false, false, false]);
    expect(new Set(copies.map((ack) => ack.seq)).size).toBe(5);
    // The same deposit once more under a new event id, as a restarted watcher would re-detect it.
    const republished = depositConfirmedV1.create({ source: event.source, subject: userId, data: event.data });
    expect(republished.id).not.toBe(event.id);
    const last = await ledger.publish(republished);

    await waitUntilCreditsAcked(last.seq);

    expect(await ledger.available(userId)).toBe(7n * USDT);
    const deposits = await ledger.sql`select state, amount::text from deposits where tx_hash = ${event.data.txHash}`;
    expect(deposits).toEqual([{ state: 'credited', amount: String(7n * USDT) }]);
    const credits = await ledger.sql`
      select t.id from transfers t join accounts a on a.id = t.credit_account_id
      where a.user_id = ${userId} and t.code = 'deposit'`;
    expect(credits).toHaveLength(1);
    // The first delivery went through the inbox once; the re-publication was handled under its own id.
    const inbox = await ledger.sql<Array<{ event_id: string }>>`
      select event_id from inbox where event_id in (${event.id}, ${republished.id}) order by event_id`;
    expect(inbox.map((row) => row.event_id).sort()).toEqual([event.id, republished.id].sort());
    expect(await deadLetters()).toBe(0);
    expect(await ledger.invariantViolations()).toEqual([]);
  });

  it('a deposit reverted after the user spent part of it takes the rest: the user ends at 0, never below, and the spent part is on the negative exposure account', async () => {
    const userId = await ledger.openUser();
    const friend = await ledger.openUser();
    const deposit = await ledger.fund(userId, 10n * USDT);
    await ledger.client.call(transferV1, { idempotencyKey: `spend-${newId()}`, fromUserId: userId, toUserId: friend, asset: 'USDT', amount: String(7n * USDT) });
    expect(await ledger.available(userId)).toBe(3n * USDT);
    const exposureBefore = await exposure();

    await ledger.publish(ledger.revertEvent(deposit, 'reorg deeper than the confirmation depth'));
    await ledger.waitForDeposit(deposit, 'reverted');

    expect(await ledger.available(userId)).toBe(0n);
    const [account] = (await ledger.accounts()).filter((a) => a.userId === userId && a.kind === 'user_available');
    expect(account).toMatchObject({ creditsPosted: 10n * USDT, debitsPosted: 10n * USDT, debitsPending: 0n });
    expect(await ledger.available(friend)).toBe(7n * USDT);
    expect((await exposure()) - exposureBefore).toBe(7n * USDT);

    const [row] = await ledger.sql`
      select reversed_from_user::text, reversed_from_exposure::text from deposits where tx_hash = ${deposit.data.txHash}`;
    expect(row).toEqual({ reversed_from_user: String(3n * USDT), reversed_from_exposure: String(7n * USDT) });
    const reversals = await ledger.sql<Array<{ kind: string; amount: string }>>`
      select d.kind, t.amount::text from transfers t join accounts d on d.id = t.debit_account_id
      where t.code = 'deposit_reversal' and t.reference = ${`${deposit.data.chainId}:${deposit.data.txHash}:${deposit.data.logIndex}`}
      order by d.kind`;
    expect(reversals).toEqual([
      { kind: 'negative_exposure', amount: String(7n * USDT) },
      { kind: 'user_available', amount: String(3n * USDT) },
    ]);
    expect(await ledger.invariantViolations()).toEqual([]);
    expect(Object.values(await ledger.reconciliation())).toEqual([0, 0, 0, 0]);
  });
});

/** What the negative exposure account absorbed so far (its debits minus its credits). */
async function exposure(): Promise<bigint> {
  const [account] = (await ledger.accounts()).filter((a) => a.kind === 'negative_exposure');
  return account ? account.debitsPosted - account.creditsPosted : 0n;
}
