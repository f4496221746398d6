// Proves the withdrawal lifecycle after approval, driven by the chain-watcher's three events through
// the real inbox on a real PostgreSQL schema: `broadcast` ends cancelling and keeps the latest hash
// (only a higher attempt replaces it); `confirmed` posts amount and fee and completes, also when it
// overtakes its `broadcast`; `failed` voids both holds so the user has amount + fee back; copies and
// repeats change nothing; and a contradicting event (`failed` after `completed`, the reverse, a
// broadcast of an unapproved or unknown withdrawal) changes nothing, is logged at error, counted,
// and acknowledged. Every case checks the account totals, the outbox and, at the end, the invariants.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { cancelWithdrawalV1, LedgerCommandErrors, withdrawalCompletedV1, withdrawalFailedV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { AccountKinds, checkInvariants } from '@strongbox/ledger-data-access';
import { ChainEventOutcomes, createWithdrawalLifecycle, type LedgerOperations } from '../../src/index';
import { freshPlans, fundedUser, outboxEventsOfType, type PlanTestContext } from '../support/plans.harness';
import {
  approve,
  broadcastEvent,
  capturedLogger,
  chainConsumers,
  confirmedEvent,
  counterValue,
  failedEvent,
  FEE,
  ledgerOperations,
  requestWithdrawal,
  systemTotals,
  txHash,
  userTotals,
  withdrawalRow,
  type CapturedLogger,
  type WithdrawalRef,
} from '../support/withdrawals.harness';

const METRIC = 'ledger_withdrawal_chain_events_total';
let context: PlanTestContext;
let ledger: LedgerOperations;
let registry: Registry;
let logs: CapturedLogger;
let chain: ReturnType<typeof chainConsumers>;

beforeAll(async () => {
  context = await freshPlans();
  ledger = ledgerOperations(context);
});

beforeEach(() => {
  registry = new Registry();
  logs = capturedLogger();
  chain = chainConsumers(context, createWithdrawalLifecycle({ namespace: context.namespace, logger: logs.logger, registry, now: () => context.clock.now }));
});

afterAll(async () => {
  const report = await checkInvariants(context.sql);
  expect(report.violations).toEqual([]);
  await context.dispose();
});

/** A funded user with one approved withdrawal of 100 000 (+ fee). */
async function approvedWithdrawal(): Promise<WithdrawalRef> {
  const userId = await fundedUser(context, 500_000n);
  const { withdrawal } = await requestWithdrawal(ledger, userId, '100000');
  await approve(ledger, withdrawal.withdrawalId);
  return { withdrawalId: withdrawal.withdrawalId, userId, amount: withdrawal.amount };
}

function cancel(withdrawal: WithdrawalRef) {
  return ledger.cancelWithdrawal(cancelWithdrawalV1.request.parse({ idempotencyKey: `cx-${newId()}`, userId: withdrawal.userId, withdrawalId: withdrawal.withdrawalId }));
}

async function outboxFor(type: string, withdrawalId: string) {
  return (await outboxEventsOfType(context, type)).filter((event) => event.data['withdrawalId'] === withdrawalId);
}

function errorLines() {
  return logs.lines.filter((line) => line.level === 50);
}

describe('broadcast', () => {
  it('moves an approved withdrawal to broadcast with its hash; the user can no longer cancel; only a higher attempt replaces the hash', async () => {
    const withdrawal = await approvedWithdrawal();
    const first = broadcastEvent(withdrawal, 1);
    expect(await chain.broadcast(first)).toEqual({ duplicate: false, result: ChainEventOutcomes.applied });
    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'broadcast', tx_hash: first.data.txHash, broadcast_attempt: 1 });
    await expect(cancel(withdrawal)).rejects.toMatchObject({ code: LedgerCommandErrors.invalidWithdrawalState, details: { state: 'broadcast' } });

    // JetStream redelivers the same message: the inbox drops it.
    expect(await chain.broadcast(first)).toEqual({ duplicate: true });
    const replacement = broadcastEvent(withdrawal, 2);
    expect(await chain.broadcast(replacement)).toMatchObject({ result: ChainEventOutcomes.applied });
    // A copy of the first attempt arriving late under another event id cannot bring its hash back.
    expect(await chain.broadcast(broadcastEvent(withdrawal, 1, first.data.txHash))).toMatchObject({ result: ChainEventOutcomes.unchanged });
    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'broadcast', tx_hash: replacement.data.txHash, broadcast_attempt: 2 });
    // The holds are untouched by a broadcast.
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ debitsPending: 100_000n + FEE, debitsPosted: 0n });
    expect(errorLines()).toEqual([]);
  });
});

describe('confirmed', () => {
  it('posts amount to withdrawals in flight and fee to fees, completes, and publishes `withdrawal completed`; a second confirmed changes nothing', async () => {
    const withdrawal = await approvedWithdrawal();
    const inFlightBefore = await systemTotals(context, AccountKinds.withdrawalsInFlight);
    const feesBefore = await systemTotals(context, AccountKinds.fees);
    await chain.broadcast(broadcastEvent(withdrawal, 1));
    const confirmed = confirmedEvent(withdrawal);
    expect(await chain.confirmed(confirmed)).toMatchObject({ result: ChainEventOutcomes.applied });

    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'completed', tx_hash: confirmed.data.txHash });
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ debitsPosted: 100_000n + FEE, debitsPending: 0n, available: 500_000n - 100_000n - FEE });
    const inFlight = await systemTotals(context, AccountKinds.withdrawalsInFlight);
    const fees = await systemTotals(context, AccountKinds.fees);
    expect(inFlight.creditsPosted - inFlightBefore.creditsPosted).toBe(100_000n);
    expect(fees.creditsPosted - feesBefore.creditsPosted).toBe(FEE);
    expect(inFlight.creditsPending).toBe(inFlightBefore.creditsPending - 100_000n);

    const completed = await outboxFor(withdrawalCompletedV1.type, withdrawal.withdrawalId);
    expect(completed).toHaveLength(1);
    expect(completed[0]!.data).toMatchObject({ txHash: confirmed.data.txHash, amount: '100000', fee: FEE.toString(), userId: withdrawal.userId });
    expect(withdrawalCompletedV1.schema.safeParse(completed[0]!.data).success).toBe(true);

    // The same event again (redelivery) and a copy under a new event id: nothing more moves.
    expect(await chain.confirmed(confirmed)).toEqual({ duplicate: true });
    expect(await chain.confirmed(confirmedEvent(withdrawal, confirmed.data.txHash))).toMatchObject({ result: ChainEventOutcomes.unchanged });
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ debitsPosted: 100_000n + FEE, debitsPending: 0n });
    expect(await outboxFor(withdrawalCompletedV1.type, withdrawal.withdrawalId)).toHaveLength(1);
    expect(await counterValue(registry, METRIC, { event: 'confirmed', outcome: 'unchanged' })).toBe(1);
  });

  it('completes a withdrawal whose confirmation overtook its broadcast; the late broadcast changes nothing', async () => {
    const withdrawal = await approvedWithdrawal();
    const confirmed = confirmedEvent(withdrawal);
    expect(await chain.confirmed(confirmed)).toMatchObject({ result: ChainEventOutcomes.applied });
    expect(await chain.broadcast(broadcastEvent(withdrawal, 1, confirmed.data.txHash))).toMatchObject({ result: ChainEventOutcomes.unchanged });
    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'completed', tx_hash: confirmed.data.txHash });
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ debitsPosted: 100_000n + FEE, debitsPending: 0n });
    expect(errorLines()).toEqual([]);
  });
});

describe('failed', () => {
  it('voids both holds: the user has amount + fee back; `withdrawal failed` is published once; a second failed changes nothing', async () => {
    const withdrawal = await approvedWithdrawal();
    const feesBefore = await systemTotals(context, AccountKinds.fees);
    await chain.broadcast(broadcastEvent(withdrawal, 1));
    const failed = failedEvent(withdrawal, 'reverted');
    expect(await chain.failed(failed)).toMatchObject({ result: ChainEventOutcomes.applied });

    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'failed', reason: `reverted: ${failed.data.detail}` });
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ available: 500_000n, debitsPending: 0n, debitsPosted: 0n });
    expect((await systemTotals(context, AccountKinds.fees)).creditsPosted).toBe(feesBefore.creditsPosted);
    const events = await outboxFor(withdrawalFailedV1.type, withdrawal.withdrawalId);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ reason: 'reverted', txHash: failed.data.txHash });

    expect(await chain.failed(failedEvent(withdrawal, 'reverted', failed.data.txHash))).toMatchObject({ result: ChainEventOutcomes.unchanged });
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ available: 500_000n });
    expect(await outboxFor(withdrawalFailedV1.type, withdrawal.withdrawalId)).toHaveLength(1);
  });

  it('fails an approved withdrawal that was never sent (`rejected`, no hash)', async () => {
    const withdrawal = await approvedWithdrawal();
    expect(await chain.failed(failedEvent(withdrawal, 'rejected', null))).toMatchObject({ result: ChainEventOutcomes.applied });
    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'failed', tx_hash: null });
    expect((await outboxFor(withdrawalFailedV1.type, withdrawal.withdrawalId))[0]!.data).toMatchObject({ reason: 'rejected', txHash: null });
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ available: 500_000n });
  });
});

describe('events that contradict the withdrawal (defects of the sender)', () => {
  it('refuses `failed` after `completed`: nothing moves, it is logged at error, counted and acknowledged', async () => {
    const withdrawal = await approvedWithdrawal();
    await chain.confirmed(confirmedEvent(withdrawal));
    const before = await userTotals(context, withdrawal.userId);
    const failed = failedEvent(withdrawal);
    // Acknowledged: the inbox keeps it, so a redelivery is dropped rather than refused again.
    expect(await chain.failed(failed)).toEqual({ duplicate: false, result: ChainEventOutcomes.refused });
    expect(await chain.failed(failed)).toEqual({ duplicate: true });
    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'completed' });
    expect(await userTotals(context, withdrawal.userId)).toEqual(before);
    expect(await outboxFor(withdrawalFailedV1.type, withdrawal.withdrawalId)).toEqual([]);
    expect(await counterValue(registry, METRIC, { event: 'failed', outcome: 'refused' })).toBe(1);
    expect(errorLines()).toEqual([expect.objectContaining({ alert: true, withdrawalId: withdrawal.withdrawalId, state: 'completed', eventId: failed.id })]);
  });

  it('refuses `confirmed` after `failed`: the released money stays with the user', async () => {
    const withdrawal = await approvedWithdrawal();
    await chain.failed(failedEvent(withdrawal));
    expect(await chain.confirmed(confirmedEvent(withdrawal))).toMatchObject({ result: ChainEventOutcomes.refused });
    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'failed' });
    expect(await userTotals(context, withdrawal.userId)).toMatchObject({ available: 500_000n, debitsPosted: 0n, debitsPending: 0n });
    expect(await outboxFor(withdrawalCompletedV1.type, withdrawal.withdrawalId)).toEqual([]);
    expect(await counterValue(registry, METRIC, { event: 'confirmed', outcome: 'refused' })).toBe(1);
    expect(errorLines()).toHaveLength(1);
  });

  it('refuses chain events for a withdrawal that was never approved, or that does not exist, or for another user', async () => {
    const userId = await fundedUser(context, 500_000n);
    const { withdrawal } = await requestWithdrawal(ledger, userId, '100000');
    expect(withdrawal.state).toBe('awaiting_approval');
    const unapproved = { withdrawalId: withdrawal.withdrawalId, userId, amount: withdrawal.amount };
    expect(await chain.broadcast(broadcastEvent(unapproved))).toMatchObject({ result: ChainEventOutcomes.refused });
    expect(await chain.confirmed(confirmedEvent(unapproved))).toMatchObject({ result: ChainEventOutcomes.refused });
    expect(await chain.failed(failedEvent(unapproved))).toMatchObject({ result: ChainEventOutcomes.refused });
    expect(await withdrawalRow(context, withdrawal.withdrawalId)).toMatchObject({ state: 'awaiting_approval', tx_hash: null });
    expect(await userTotals(context, userId)).toMatchObject({ debitsPending: 100_000n + FEE, debitsPosted: 0n });

    expect(await chain.confirmed(confirmedEvent({ withdrawalId: newId(), userId, amount: '100000' }))).toMatchObject({ result: ChainEventOutcomes.refused });
    const approved = await approvedWithdrawal();
    expect(await chain.confirmed(confirmedEvent({ ...approved, userId: newId() }))).toMatchObject({ result: ChainEventOutcomes.refused });
    expect(await chain.broadcast(broadcastEvent({ ...approved, amount: '99999' }))).toMatchObject({ result: ChainEventOutcomes.refused });
    expect(await withdrawalRow(context, approved.withdrawalId)).toMatchObject({ state: 'approved' });
    expect(errorLines()).toHaveLength(6);
    expect(await counterValue(registry, METRIC, { event: 'confirmed', outcome: 'refused' })).toBe(3);
  });
});

describe('concurrency', () => {
  it('a `confirmed` and a `failed` racing for one withdrawal: exactly one wins, the other is refused, and the money moved once', async () => {
    const withdrawal = await approvedWithdrawal();
    const hash = txHash();
    const results = await Promise.all([chain.confirmed(confirmedEvent(withdrawal, hash)), chain.failed(failedEvent(withdrawal, 'dropped', hash))]);
    const outcomes = results.map((result) => (result.duplicate ? 'duplicate' : result.result)).sort();
    expect(outcomes).toEqual([ChainEventOutcomes.applied, ChainEventOutcomes.refused].sort());
    const row = await withdrawalRow(context, withdrawal.withdrawalId);
    const totals = await userTotals(context, withdrawal.userId);
    expect(totals.debitsPending).toBe(0n);
    expect(totals.debitsPosted).toBe(row?.state === 'completed' ? 100_000n + FEE : 0n);
  });
});
