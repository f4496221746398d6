// An ops alert from a real ledger invariant violation, with all five services as real processes
// (dist/apps): a Russian-speaking user is funded through the ledger's manual adjustment command,
// then one of their account totals is changed behind the ledger's back, as a bug or a manual SQL
// edit would. The ledger's reconciliation (every second here) must show the broken invariants in
// /metrics and raise an alert; the notifier must send it to the ops chat once, in English (the ops
// chat's language, whoever the user is), however many runs see it again, and tell no user anything.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { manualAdjustmentV1 } from '@strongbox/shared-contracts';
import { createCommandClient, type CommandClient } from '@strongbox/shared-messaging';
import { waitFor, TEST_NATS_URL } from '@strongbox/shared-testing';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';

/** A supergroup the ops team reads. */
const OPS_CHAT_ID = -1_001_234_567_890;
const RECONCILE_INTERVAL_MS = 1_000;
const WELCOME_RU = /^Добро пожаловать в Strongbox/;
const FUNDED_MINOR = 25_000_000n;

let e2e: E2eStack;
let nc: NatsConnection;
let commands: CommandClient;

beforeAll(async () => {
  e2e = await startE2eStack({
    extraEnv: {
      ledger: { LEDGER_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS) },
      notifier: { NOTIFY_OPS_CHAT_ID: String(OPS_CHAT_ID) },
    },
  });
  e2e.emulator.openChat({ userId: 730_001, chatId: OPS_CHAT_ID, firstName: 'Ops' });
  nc = await connect({ servers: TEST_NATS_URL });
  commands = createCommandClient(nc, { namespace: e2e.namespace, timeoutMs: 10_000 });
}, 180_000);

afterAll(async () => {
  await nc?.close();
  await e2e?.teardown();
}, 60_000);

async function metricsText(service: 'ledger' | 'notifier'): Promise<string> {
  const response = await fetch(`${e2e.stack.services[service].opsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
  return response.text();
}

/** `ledger_invariant_violations` per invariant and the time of the last completed reconciliation (s). */
async function reconciliation(): Promise<{ violations: Record<string, number>; lastRunS: number }> {
  const text = await metricsText('ledger');
  const violations: Record<string, number> = {};
  for (const match of text.matchAll(/^ledger_invariant_violations\{invariant="([a-z_]+)"[^}]*\} (\S+)$/gm)) violations[match[1]!] = Number(match[2]);
  const last = /^ledger_reconciliation_last_success_timestamp_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return { violations, lastRunS: last ? Number(last[1]) : 0 };
}

/** The reconciliation gauges of a run that started after this call (runs never overlap). */
async function freshReconciliation(): Promise<Record<string, number>> {
  const before = (await reconciliation()).lastRunS;
  const first = await waitFor(
    async () => {
      const seen = (await reconciliation()).lastRunS;
      return seen > before ? seen : undefined;
    },
    { timeoutMs: 20_000, description: 'a reconciliation run' },
  );
  return waitFor(
    async () => {
      const seen = await reconciliation();
      return seen.lastRunS > first ? seen.violations : undefined;
    },
    { timeoutMs: 20_000, description: 'a reconciliation run that started after the call' },
  );
}

/** `notify_ops_alerts_total` for one outcome (sent, logged, duplicate, rate_limited). */
async function opsAlertsCounted(outcome: string): Promise<number> {
  const match = new RegExp(`^notify_ops_alerts_total\\{outcome="${outcome}"[^}]*\\} (\\S+)$`, 'm').exec(await metricsText('notifier'));
  return match ? Number(match[1]) : 0;
}

/** Waits until every consumer of the notifier has nothing left and its queue nothing unsent. */
async function notifierSettled(): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const prefix = `${e2e.namespace.toUpperCase()}_`;
  await waitFor(
    async () => {
      for await (const stream of jsm.streams.names()) {
        if (!stream.startsWith(prefix)) continue;
        for await (const consumer of jsm.consumers.list(stream)) {
          if (consumer.name.startsWith('notifier-') && (consumer.num_pending > 0 || consumer.num_ack_pending > 0)) return false;
        }
      }
      const open = await e2e.rows('notifier', "select id from %schema%.notifications where state in ('pending', 'sending')");
      return open.length === 0;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: 'the notifier settled' },
  );
}

const toOtherChats = () => e2e.emulator.sentMessages().filter((message) => message.chatId !== OPS_CHAT_ID);

describe('ops alert from a ledger invariant violation', () => {
  it('a total changed behind the ledger’s back shows in /metrics and reaches the ops chat once, in English; no user hears of it', async () => {
    const user = { userId: 720_001, firstName: 'Ирина', languageCode: 'ru' };
    await e2e.emulator.sendMessage(user, '/start');
    await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && WELCOME_RU.test(m.text ?? ''), { timeoutMs: 30_000 });
    const [registered] = await e2e.rows<{ id: string }>('bot-gateway', 'select id from %schema%.users where telegram_user_id = $1', [user.userId]);
    const userId = registered!.id;
    await waitFor(async () => (await e2e.rows('ledger', "select id from %schema%.accounts where user_id = $1 and kind = 'user_available'", [userId])).length > 0, {
      timeoutMs: 30_000,
      description: 'the user’s ledger account',
    });
    const funded = await commands.call(manualAdjustmentV1, {
      idempotencyKey: randomUUID(),
      adminId: randomUUID(),
      userId,
      asset: 'USDT',
      direction: 'credit',
      amount: FUNDED_MINOR.toString(),
      reason: 'e2e funding',
    });
    expect(BigInt(funded.balance.available)).toBe(FUNDED_MINOR);

    // A correct ledger first: every invariant at 0 in a run that saw the funding, nothing for ops.
    const clean = await freshReconciliation();
    expect(Object.keys(clean).length).toBeGreaterThan(0);
    expect(Object.values(clean).every((count) => count === 0)).toBe(true);
    await notifierSettled();
    const userMessagesBefore = toOtherChats().length;
    expect(e2e.emulator.sentMessages(OPS_CHAT_ID)).toEqual([]);

    // Corrupt one posted total of the user's account, as a manual SQL edit would (no trigger guards accounts).
    const corruptedAt = Date.now();
    const corrupted = await e2e.rows(
      'ledger',
      "update %schema%.accounts set credits_posted = credits_posted + 1 where user_id = $1 and asset = 'USDT' and kind = 'user_available' returning id",
      [userId],
    );
    expect(corrupted).toHaveLength(1);

    const alert = await e2e.emulator.waitForMessage((m) => m.chatId === OPS_CHAT_ID, { timeoutMs: 30_000 });
    console.log(`ledger corruption to ops chat alert: ${alert.sentAt - corruptedAt} ms`);

    // The ledger's /metrics names what broke: the asset no longer sums to zero and the account's
    // totals no longer match its transfers; the other two invariants hold.
    const violations = (await reconciliation()).violations;
    expect(violations).toEqual({ ledger_sums_to_zero: 1, balances_match_transfers: 1, transfers_sum_to_zero: 0, no_disallowed_negative_balance: 0 });
    const broken = Object.keys(violations)
      .filter((invariant) => (violations[invariant] ?? 0) > 0)
      .sort();
    const count = broken.reduce((sum, invariant) => sum + (violations[invariant] ?? 0), 0);
    // The ops chat's language is English, whatever the user's.
    expect(alert.text).toBe(
      `CRITICAL LEDGER_INVARIANT_VIOLATED from ledger: ledger invariants violated: ${count} violation(s) of ${broken.join(', ')}\n` +
        `violations: ${count}\ninvariants: ${broken.join(', ')}`,
    );
    expect(alert.entities).toContainEqual({ type: 'bold', offset: 'CRITICAL '.length, length: 'LEDGER_INVARIANT_VIOLATED'.length });

    // Reconciliation keeps finding it every second; JetStream stores one copy per minute, and the
    // next minute's copy reaches the notifier, which must count it as a duplicate and send nothing.
    await waitFor(async () => (await opsAlertsCounted('duplicate')) + (await opsAlertsCounted('sent')) > 1, {
      timeoutMs: 90_000,
      intervalMs: 500,
      description: 'a repeat of the alert handled by the notifier',
    });
    const runs = await freshReconciliation();
    expect(runs).toEqual(violations);
    await notifierSettled();
    expect(e2e.emulator.sentMessages(OPS_CHAT_ID).map((message) => message.text)).toEqual([alert.text]);
    expect(await opsAlertsCounted('sent')).toBe(1);
    expect(await opsAlertsCounted('duplicate')).toBeGreaterThan(0);
    const queued = await e2e.rows<{ state: string }>('notifier', "select state from %schema%.notifications where template = 'ops-alert'");
    expect(queued.map((row) => row.state)).toEqual(['delivered']);
    const [dedupe] = await e2e.rows<{ suppressed: number }>('notifier', 'select suppressed from %schema%.ops_alerts where dedupe_key = $1', [
      `ledger:invariants:${broken.join(',')}`,
    ]);
    expect(dedupe?.suppressed).toBeGreaterThan(0);
    // No user chat got anything since the corruption.
    expect(toOtherChats()).toHaveLength(userMessagesBefore);
  });
});
