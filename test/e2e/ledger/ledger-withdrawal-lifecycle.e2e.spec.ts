// Proves, against the built ledger running as a real process on the shared PostgreSQL and NATS, that
// the pieces after approval are wired to the bus: the chain-watcher's `broadcast`/`confirmed`/
// `failed` events reach their durable consumers and complete or fail withdrawals (a `failed` after
// `completed` is acknowledged, changes nothing and shows in /metrics); a `held` withdrawal is
// approved by the ledger itself once LEDGER_WITHDRAWAL_COOLING_MS is over; `user registered` with a
// referrer and the referred user's first deposit pay LEDGER_REFERRAL_REWARD_MINOR once; the
// `blacklist-user` command sends the user's next withdrawal to an admin; and `publish-plan` records
// the publishing admin. Invariants hold at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  approveWithdrawalV1,
  blacklistUserV1,
  cancelWithdrawalV1,
  chainWithdrawalBroadcastV1,
  chainWithdrawalConfirmedV1,
  chainWithdrawalFailedV1,
  durableName,
  LedgerCommandErrors,
  publishPlanV1,
  requestWithdrawalV1,
  StreamBases,
  streamName,
  userRegisteredV1,
} from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { CommandError } from '@strongbox/shared-messaging';
import { waitFor } from '@strongbox/shared-testing';
import { startLedgerStack, type LedgerStack } from '../support/ledger-stack';

const USDT = 1_000_000n;
const FEE = 1_000n;
const REWARD = 2n * USDT;
const CHAIN_ID = 31337;
const ADDRESS = '0x00000000000000000000000000000000000000aA';
/** The system actor of auto-approval (libs/ledger/feature, AUTO_APPROVER_ID). */
const AUTO_APPROVER_ID = '00000000-0000-4000-8000-000000000001';

let ledger: LedgerStack;

beforeAll(async () => {
  ledger = await startLedgerStack({
    prefix: 'lgwdl',
    extraEnv: {
      LEDGER_WITHDRAWAL_FEE_MINOR: FEE.toString(),
      LEDGER_FRAUD_DEPOSIT_COOLING_MS: '0',
      LEDGER_WITHDRAWAL_COOLING_MS: '1000',
      LEDGER_WITHDRAWAL_AUTO_APPROVAL_INTERVAL_MS: '100',
      LEDGER_REFERRAL_REWARD_MINOR: REWARD.toString(),
    },
  });
}, 120_000);

afterAll(async () => {
  await ledger?.teardown();
}, 60_000);

const hash = () => `0x${randomBytes(32).toString('hex')}`;

interface Ref {
  withdrawalId: string;
  userId: string;
  amount: string;
}

function broadcast(w: Ref, attempt = 1) {
  return chainWithdrawalBroadcastV1.create({
    source: 'strongbox/chain-watcher',
    subject: w.withdrawalId,
    data: {
      withdrawalId: w.withdrawalId,
      userId: w.userId,
      chainId: CHAIN_ID,
      txHash: hash(),
      nonce: 1,
      attempt,
      fromAddress: '0x00000000000000000000000000000000000000f0',
      toAddress: ADDRESS,
      tokenContract: '0x00000000000000000000000000000000000000c0',
      asset: 'USDT',
      amount: w.amount,
      broadcastAt: new Date().toISOString(),
    },
  });
}

function confirmed(w: Ref) {
  return chainWithdrawalConfirmedV1.create({
    source: 'strongbox/chain-watcher',
    subject: w.withdrawalId,
    data: { withdrawalId: w.withdrawalId, userId: w.userId, chainId: CHAIN_ID, txHash: hash(), blockNumber: 10, blockHash: hash(), confirmations: 12, confirmedAt: new Date().toISOString() },
  });
}

function failed(w: Ref) {
  return chainWithdrawalFailedV1.create({
    source: 'strongbox/chain-watcher',
    subject: w.withdrawalId,
    data: { withdrawalId: w.withdrawalId, userId: w.userId, chainId: CHAIN_ID, txHash: hash(), reason: 'dropped', detail: 'nonce reused', failedAt: new Date().toISOString() },
  });
}

async function withdraw(userId: string, amount: bigint): Promise<Ref & { state: string; reason: string | null }> {
  const { withdrawal } = await ledger.client.call(requestWithdrawalV1, { idempotencyKey: `wd-${newId()}`, userId, asset: 'USDT', amount: amount.toString(), toAddress: ADDRESS });
  return withdrawal;
}

async function stateOf(withdrawalId: string): Promise<string | undefined> {
  const [row] = await ledger.sql<Array<{ state: string }>>`select state from withdrawals where id = ${withdrawalId}`;
  return row?.state;
}

function waitForState(withdrawalId: string, state: string): Promise<string> {
  return waitFor(async () => ((await stateOf(withdrawalId)) === state ? state : undefined), { timeoutMs: 20_000, description: `withdrawal ${withdrawalId} in state ${state}` });
}

async function metric(line: RegExp): Promise<number> {
  const text = await (await fetch(`${ledger.service.opsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  const found = text.split('\n').find((entry) => line.test(entry));
  return found ? Number(found.split(' ').at(-1)) : 0;
}

describe('withdrawals after approval, referral rewards, blacklist and plan publishing (real process)', () => {
  it('admin-approved: broadcast ends cancelling, confirmed completes; a later `failed` is refused, acknowledged and counted', async () => {
    const userId = await ledger.openUser();
    await ledger.fund(userId, 10n * USDT);
    const w = await withdraw(userId, 3n * USDT);
    expect(w).toMatchObject({ state: 'awaiting_approval', reason: 'new_destination_address' });
    await ledger.client.call(approveWithdrawalV1, { idempotencyKey: `ap-${newId()}`, adminId: newId(), withdrawalId: w.withdrawalId });

    await ledger.publish(broadcast(w));
    await waitForState(w.withdrawalId, 'broadcast');
    const cancel = await ledger.client
      .call(cancelWithdrawalV1, { idempotencyKey: `cx-${newId()}`, userId, withdrawalId: w.withdrawalId })
      .then(() => undefined, (error: unknown) => error);
    expect(cancel).toBeInstanceOf(CommandError);
    expect((cancel as CommandError).code).toBe(LedgerCommandErrors.invalidWithdrawalState);

    await ledger.publish(confirmed(w));
    await waitForState(w.withdrawalId, 'completed');
    expect(await ledger.available(userId)).toBe(10n * USDT - 3n * USDT - FEE);

    const refusedLine = /^ledger_withdrawal_chain_events_total\{.*event="failed".*outcome="refused"/;
    await ledger.publish(failed(w));
    await waitFor(async () => (await metric(refusedLine)) === 1, { timeoutMs: 20_000, description: 'the refused `failed` counted in /metrics' });
    expect(await stateOf(w.withdrawalId)).toBe('completed');
    expect(await ledger.available(userId)).toBe(10n * USDT - 3n * USDT - FEE);
    // Acknowledged once, not redelivered in a loop, not dead-lettered.
    const info = await waitFor(
      async () => {
        const seen = await ledger.jsm.consumers.info(streamName(ledger.namespace, StreamBases.chain), durableName('ledger', 'release', 'withdrawal-failed'));
        return seen.num_ack_pending === 0 && seen.num_pending === 0 ? seen : undefined;
      },
      { timeoutMs: 10_000, description: 'the failed consumer having acknowledged everything' },
    );
    expect(info.num_redelivered).toBe(0);
    expect((await ledger.jsm.streams.info(streamName(ledger.namespace, StreamBases.deadLetters))).state.messages).toBe(0);
  });

  it('a withdrawal to a used address is held, approved by the ledger after the cooling window, and a chain failure gives amount + fee back', async () => {
    const userId = await ledger.openUser();
    await ledger.fund(userId, 10n * USDT);
    const first = await withdraw(userId, 2n * USDT);
    await ledger.client.call(approveWithdrawalV1, { idempotencyKey: `ap-${newId()}`, adminId: newId(), withdrawalId: first.withdrawalId });
    await ledger.publish(confirmed(first));
    await waitForState(first.withdrawalId, 'completed');

    const second = await withdraw(userId, 3n * USDT);
    expect(second).toMatchObject({ state: 'held', reason: null });
    await waitForState(second.withdrawalId, 'approved');
    const [approved] = await ledger.sql<Array<{ by: string }>>`
      select event->'data'->>'approvedBy' as by from outbox
      where event->>'type' = 'ledger.evt.withdrawal.approved.v1' and event->'data'->>'withdrawalId' = ${second.withdrawalId}`;
    expect(approved?.by).toBe(AUTO_APPROVER_ID);

    await ledger.publish(failed(second));
    await waitForState(second.withdrawalId, 'failed');
    expect(await ledger.available(userId)).toBe(10n * USDT - 2n * USDT - FEE);
  });

  it('`user registered` with a referrer, then the first deposit pays the referrer once; a second deposit pays nothing', async () => {
    const referrer = await ledger.openUser();
    const referred = newId();
    await ledger.publish(
      userRegisteredV1.create({
        source: 'strongbox/bot-gateway',
        subject: referred,
        data: { userId: referred, telegramUserId: '424242', chatId: '424242', languageCode: 'en', referralCode: 'friend', referrerUserId: referrer, registeredAt: new Date().toISOString() },
      }),
    );
    await waitFor(async () => (await ledger.sql`select 1 from referrals where referred_user_id = ${referred}`).length === 1, {
      timeoutMs: 20_000,
      description: 'the referral recorded',
    });
    await ledger.fund(referred, 5n * USDT);
    expect(await ledger.available(referrer)).toBe(REWARD);
    await ledger.fund(referred, 5n * USDT);
    expect(await ledger.available(referrer)).toBe(REWARD);
    expect(await ledger.sql`select 1 from referral_rewards where referred_user_id = ${referred}`).toHaveLength(1);
  });

  it('`blacklist-user` sends the next withdrawal to an admin; `publish-plan` records the admin', async () => {
    const userId = await ledger.openUser();
    await ledger.fund(userId, 10n * USDT);
    const admin = newId();
    await ledger.client.call(blacklistUserV1, { adminId: admin, userId, blacklisted: true, reason: 'chargeback' });
    const w = await withdraw(userId, 2n * USDT);
    expect(w.state).toBe('awaiting_approval');
    expect(w.reason).toContain('user_blacklisted');

    await ledger.client.call(publishPlanV1, { adminId: admin, code: 'e2e-flex', version: 1, asset: 'USDT', rateBps: 300, termDays: 30, minAmount: '1000000', maxAmount: '1000000000' });
    expect(await ledger.sql`select published_by from plans where code = 'e2e-flex'`).toEqual([{ published_by: admin }]);
    expect(await ledger.invariantViolations()).toEqual([]);
  });
});
