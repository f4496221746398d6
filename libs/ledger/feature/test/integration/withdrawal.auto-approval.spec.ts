// Proves the auto-approval of held withdrawals on a real PostgreSQL schema and real NATS flags: a
// `held` withdrawal is approved once its cooling window is over (not before, and never one awaiting
// an admin or cancelled), with `withdrawal approved` from the fixed system actor; two passes racing
// (two replicas, two pools) approve each withdrawal once; a user blacklisted after asking is sent to
// an admin instead; and the running job approves nothing while the emergency stop or maintenance
// flag is on, then catches up when it is off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { Registry } from 'prom-client';
import { blacklistUserV1, cancelWithdrawalV1, kvBucketName, withdrawalApprovedV1 } from '@strongbox/shared-contracts';
import { createDatabase, type Database } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { Flags, setFlag, watchFlags, type Flag, type FlagWatcher } from '@strongbox/shared-messaging';
import { TEST_DATABASE_URL, TEST_NATS_URL, waitFor } from '@strongbox/shared-testing';
import { checkInvariants, ledgerTables } from '@strongbox/ledger-data-access';
import {
  approveDueWithdrawals,
  AUTO_APPROVER_ID,
  createBlacklistOperations,
  startWithdrawalAutoApproval,
  type LedgerOperations,
} from '../../src/index';
import { freshPlans, fundedUser, outboxEventsOfType, type PlanTestContext } from '../support/plans.harness';
import { counterValue, establishAddress, ledgerOperations, requestWithdrawal, withdrawalRow } from '../support/withdrawals.harness';

const COOLING_MS = 60_000;
let context: PlanTestContext;
let ledger: LedgerOperations;
let nc: NatsConnection;

beforeAll(async () => {
  context = await freshPlans({ poolSizeMax: 6 });
  ledger = ledgerOperations(context);
  nc = await connect({ servers: TEST_NATS_URL });
});

afterAll(async () => {
  const report = await checkInvariants(context.sql);
  expect(report.violations).toEqual([]);
  // The flags bucket and the stream behind it (KV_<namespace>_flags).
  await new Kvm(nc).open(kvBucketName(context.namespace, 'flags')).then((kv) => kv.destroy()).catch(() => false);
  await nc.drain();
  await context.dispose();
});

/** A user whose withdrawals to the test address need no review: they are `held`. */
async function trustedUser(funds = 5_000_000n): Promise<string> {
  const userId = await fundedUser(context, funds);
  await establishAddress(context, ledger, userId, new Registry());
  return userId;
}

async function heldWithdrawal(userId: string): Promise<string> {
  const { withdrawal } = await requestWithdrawal(ledger, userId, '20000');
  expect(withdrawal).toMatchObject({ state: 'held', reason: null });
  return withdrawal.withdrawalId;
}

function pass(now: Date, database = context.database) {
  return approveDueWithdrawals({ database, namespace: context.namespace, coolingMs: COOLING_MS, now });
}

async function approvedEvents(withdrawalId: string) {
  return (await outboxEventsOfType(context, withdrawalApprovedV1.type)).filter((event) => event.data['withdrawalId'] === withdrawalId);
}

describe('one pass', () => {
  it('approves a held withdrawal only after its cooling window, as the system actor, and leaves reviews and cancelled ones alone', async () => {
    const userId = await trustedUser();
    const asked = context.clock.now;
    const held = await heldWithdrawal(userId);
    const toCancel = await heldWithdrawal(userId);
    await ledger.cancelWithdrawal(cancelWithdrawalV1.request.parse({ idempotencyKey: `cx-${newId()}`, userId, withdrawalId: toCancel }));
    const { withdrawal: review } = await requestWithdrawal(ledger, userId, '20000', '0x00000000000000000000000000000000000000bB');
    expect(review.state).toBe('awaiting_approval');

    // One millisecond before the window ends: the user may still cancel, nothing is approved.
    const early = await pass(new Date(asked.getTime() + COOLING_MS - 1));
    expect(early.approved).not.toContain(held);
    expect(await withdrawalRow(context, held)).toMatchObject({ state: 'held' });

    const due = await pass(new Date(asked.getTime() + COOLING_MS));
    expect(due.approved).toContain(held);
    expect(due.approved).not.toContain(toCancel);
    expect(due.approved).not.toContain(review.withdrawalId);
    expect(await withdrawalRow(context, held)).toMatchObject({ state: 'approved' });
    expect(await withdrawalRow(context, toCancel)).toMatchObject({ state: 'cancelled' });
    expect(await withdrawalRow(context, review.withdrawalId)).toMatchObject({ state: 'awaiting_approval' });
    const events = await approvedEvents(held);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ approvedBy: AUTO_APPROVER_ID, userId, amount: '20000' });
    expect(withdrawalApprovedV1.schema.safeParse(events[0]!.data).success).toBe(true);

    // Approved once: a later pass finds nothing of this user left to approve.
    expect((await pass(new Date(asked.getTime() + 10 * COOLING_MS))).approved).not.toContain(held);
    expect(await approvedEvents(held)).toHaveLength(1);
  });

  it('two replicas passing at once (two pools) approve each due withdrawal exactly once', async () => {
    const users = await Promise.all([trustedUser(), trustedUser(), trustedUser()]);
    const ids: string[] = [];
    for (let round = 0; round < 10; round += 1) for (const userId of users) ids.push(await heldWithdrawal(userId));
    const other = createDatabase(
      { url: TEST_DATABASE_URL, schema: context.database.schema, applicationName: 'auto-approval-replica-2', poolSizeMax: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 },
      ledgerTables,
    ) as Database<typeof ledgerTables>;
    try {
      const later = new Date(context.clock.now.getTime() + COOLING_MS);
      // Small passes, many of them, from both replicas at once, until nothing is left.
      const replica = async (database: typeof context.database) => {
        const mine: string[] = [];
        for (let round = 0; round < 50; round += 1) {
          const result = await approveDueWithdrawals({ database, namespace: context.namespace, coolingMs: COOLING_MS, now: later, limit: 3 });
          mine.push(...result.approved);
          if (result.approved.length === 0) break;
        }
        return mine;
      };
      const [first, second] = await Promise.all([replica(context.database), replica(other)]);
      const approvedHere = [...first, ...second].filter((id) => ids.includes(id));
      expect(approvedHere.sort()).toEqual([...ids].sort());
      expect(new Set(approvedHere).size).toBe(ids.length);
      for (const id of ids) expect(await approvedEvents(id)).toHaveLength(1);
    } finally {
      await other.close(5_000);
    }
  });

  it('sends the held withdrawal of a user blacklisted after asking to an admin instead of approving it', async () => {
    const userId = await trustedUser();
    const held = await heldWithdrawal(userId);
    await createBlacklistOperations({ database: context.database, namespace: context.namespace, logger: pino({ level: 'silent' }) }).blacklistUser(
      blacklistUserV1.request.parse({ adminId: newId(), userId, blacklisted: true, reason: 'chargeback reported' }),
    );
    const result = await pass(new Date(context.clock.now.getTime() + COOLING_MS));
    expect(result.sentToReview).toContain(held);
    expect(result.approved).not.toContain(held);
    expect(await withdrawalRow(context, held)).toMatchObject({ state: 'awaiting_approval', reason: 'user_blacklisted' });
    expect(await approvedEvents(held)).toEqual([]);
  });
});

describe('the running job and the flags', () => {
  it.each([Flags.emergencyStop, Flags.maintenance])('approves nothing while %s is on, and catches up once it is off', async (flag: Flag) => {
    const userId = await trustedUser();
    const held = await heldWithdrawal(userId);
    const registry = new Registry();
    let watcher: FlagWatcher | undefined;
    let job: { stop(timeoutMs: number): Promise<void> } | undefined;
    try {
      await setFlag(nc, context.namespace, flag, { on: true, reason: 'test', setBy: 'auto-approval.spec' });
      watcher = await watchFlags({ nc, namespace: context.namespace, logger: pino({ level: 'silent' }) });
      expect(watcher.isOn(flag)).toBe(true);
      job = startWithdrawalAutoApproval({
        database: context.database,
        namespace: context.namespace,
        logger: pino({ level: 'silent' }),
        registry,
        flags: watcher,
        coolingMs: COOLING_MS,
        intervalMs: 20,
        // Every withdrawal of this file is past its window for this job.
        now: () => new Date(context.clock.now.getTime() + 100 * COOLING_MS),
      });
      // Several halted runs have happened: each would have approved the withdrawal, had it run.
      await waitFor(async () => (await counterValue(registry, 'ledger_withdrawal_auto_approval_runs_total', { halted: 'yes' })) >= 5, {
        timeoutMs: 10_000,
        description: 'five halted runs of the auto-approval job',
      });
      expect(await withdrawalRow(context, held)).toMatchObject({ state: 'held' });
      expect(await counterValue(registry, 'ledger_withdrawal_auto_approval_runs_total', { halted: 'no' })).toBe(0);

      await setFlag(nc, context.namespace, flag, { on: false, reason: 'done', setBy: 'auto-approval.spec' });
      await waitFor(async () => (await withdrawalRow(context, held))?.state === 'approved', { timeoutMs: 10_000, description: 'the job approving the withdrawal' });
      expect(await approvedEvents(held)).toHaveLength(1);
      expect(await counterValue(registry, 'ledger_withdrawals_auto_approved_total', { outcome: 'approved' })).toBeGreaterThanOrEqual(1);
    } finally {
      await job?.stop(5_000);
      await watcher?.stop();
    }
  });
});
