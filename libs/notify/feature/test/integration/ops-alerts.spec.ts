import { headers as natsHeaders } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depositRevertedV1, eventSubject, streamName, StreamBases } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { DeadLetterHeaders } from '@strongbox/shared-messaging';
import { raiseAlert, type AlertInput } from '@strongbox/shared-runtime';
import { waitFor } from '@strongbox/shared-testing';
import { depositKey } from '../support/events';
import { startNotifierHarness, type NotifierHarness } from '../support/notifier.harness';

// Ops alerts end to end through JetStream: raised with shared-runtime's raiseAlert, from a reverted
// deposit, and from real dead letters; de-duplicated by key and rate-limited per minute.

const OPS_CHAT_ID = '-1001234567890';
/** The tests run in order: 2 alerts from the first, 2 from the second, then the limit bites. */
const PER_MINUTE_MAX = 5;
const silent = pino({ level: 'silent' });
let notifier: NotifierHarness;

beforeAll(async () => {
  notifier = await startNotifierHarness('nalert');
  await notifier.start({ NOTIFY_OPS_CHAT_ID: OPS_CHAT_ID, NOTIFY_ALERT_DEDUPE_MS: '600000', NOTIFY_ALERTS_PER_MINUTE_MAX: String(PER_MINUTE_MAX) });
}, 90_000);

afterAll(async () => {
  await notifier?.dispose();
});

const raise = (alert: Partial<AlertInput> & { dedupeKey: string }, at = new Date()) =>
  raiseAlert(
    { js: notifier.js, namespace: notifier.namespace, logger: silent },
    { context: 'ledger', service: 'ledger', code: 'LEDGER_INVARIANT_VIOLATED', severity: 'critical', summary: 'ledger invariants violated: 2', details: { violations: '2' }, ...alert },
    { now: at },
  );

async function suppressedOf(dedupeKey: string): Promise<number | undefined> {
  const [row] = await notifier.sql<Array<{ suppressed: number }>>`select suppressed from ops_alerts where dedupe_key = ${dedupeKey}`;
  return row?.suppressed;
}

describe('ops alerts', () => {
  it('sends one alert per key and window, counts the repeats, and says how many with the next one', async () => {
    const key = `ledger:invariants:${newId()}`;
    // Three copies in three time buckets, so JetStream stores each and the notifier must de-duplicate.
    for (const minute of [1, 2, 3]) expect(await raise({ dedupeKey: key }, new Date(Date.UTC(2026, 0, 1, 0, minute)))).toBe(true);
    await waitFor(async () => (await suppressedOf(key)) === 2, { timeoutMs: 20_000, description: 'two repeats counted' });
    const [first, ...others] = await notifier.notifications({ template: 'ops-alert' });
    expect(others).toEqual([]);
    expect(first).toMatchObject({ chat_id: OPS_CHAT_ID, user_id: null, priority: 0, language_code: 'en' });
    expect(first?.text).toBe('CRITICAL LEDGER_INVARIANT_VIOLATED from ledger: ledger invariants violated: 2\nviolations: 2');

    // The window has passed (moved back rather than waited out): the next copy goes out, with the count.
    await notifier.sql`update ops_alerts set last_sent_at = now() - interval '11 minutes' where dedupe_key = ${key}`;
    await raise({ dedupeKey: key }, new Date(Date.UTC(2026, 0, 1, 0, 4)));
    const rows = await notifier.waitForNotifications(2, { template: 'ops-alert' });
    expect(rows[1]?.text).toMatch(/\(repeated 2 more times in the last window\)$/);
    expect(await suppressedOf(key)).toBe(0);
  });

  it('tells of a reverted deposit and of a real dead letter, and sends no more than the per-minute limit', async () => {
    const before = (await notifier.notifications({ template: 'ops-alert' })).length;
    const reverted = depositRevertedV1.create({
      source: 'strongbox/test',
      data: { ...depositKey(newId()), userId: newId(), asset: 'USDT', amount: '2500000', reason: 'reorg of depth 14' },
    });
    await notifier.publish(reverted);
    const [revertedAlert] = await waitFor(async () => {
      const rows = (await notifier.notifications({ template: 'ops-alert' })).filter((row) => row.text.includes('DEPOSIT_REVERTED'));
      return rows.length > 0 ? rows : undefined;
    }, { timeoutMs: 20_000, description: 'the reverted-deposit alert' });
    expect(revertedAlert?.text).toContain('a confirmed deposit of 2.5 USDT left the canonical chain');

    // A registration the notifier cannot decode is dead-lettered by the notifier itself; the letter becomes an alert.
    await notifier.js.publish(eventSubject(notifier.namespace, 'bot.evt.user.registered.v1'), JSON.stringify({ type: 'bot.evt.user.registered.v1', data: {} }));
    const [letterAlert] = await waitFor(async () => {
      const rows = (await notifier.notifications({ template: 'ops-alert' })).filter((row) => row.text.includes('MESSAGE_DEAD_LETTERED'));
      return rows.length > 0 ? rows : undefined;
    }, { timeoutMs: 20_000, description: 'the dead-letter alert' });
    expect(letterAlert?.text).toContain('notifier-track-recipient-on-user-registered gave up on a message (MESSAGING_ERR_DECODE_FAILED)');
    expect((await notifier.notifications({ template: 'ops-alert' })).length).toBe(before + 2);

    // Distinct keys beyond the limit: the minute already holds the alerts above.
    expect(before + 2).toBeLessThan(PER_MINUTE_MAX);
    const keys = Array.from({ length: 4 }, () => `loop:${newId()}`);
    for (const key of keys) await raise({ dedupeKey: key, code: 'LOOP_FAILING', severity: 'warning' });
    await waitFor(async () => {
      const counted = await Promise.all(keys.map((key) => suppressedOf(key)));
      return counted.every((value) => value !== undefined);
    }, { timeoutMs: 20_000, description: 'every loop alert decided' });
    const sentInMinute = (await notifier.notifications({ template: 'ops-alert' })).length;
    expect(sentInMinute).toBe(PER_MINUTE_MAX);
    const suppressed = await Promise.all(keys.map((key) => suppressedOf(key)));
    expect(suppressed.filter((value) => value === 1)).toHaveLength(keys.length - (PER_MINUTE_MAX - (before + 2)));
  });

  it('stores a dead letter it cannot read once, under its own deeper subject, instead of looping on it', async () => {
    const jsm = await jetstreamManager(notifier.nc);
    const stream = streamName(notifier.namespace, StreamBases.deadLetters);
    const headers = natsHeaders();
    headers.set(DeadLetterHeaders.consumer, 'ledger-credit-on-deposit-confirmed');
    await notifier.js.publish(`${notifier.namespace}.dlq.ledger-credit-on-deposit-confirmed`, 'this is not json', { headers });
    const own = `${notifier.namespace}.dlq.notifier-alert-ops-on-dead-letters.own`;
    await waitFor(() => jsm.streams.getMessage(stream, { last_by_subj: own }).then((message) => message ?? undefined, () => undefined), {
      timeoutMs: 30_000,
      description: 'the unreadable letter kept under the notifier’s own subject',
    });
    const countAfter = (await jsm.streams.info(stream)).state.messages;
    // One more round trip through the notifier would add a letter; a marker letter after it proves the consumer moved on.
    const marker = natsHeaders();
    marker.set(DeadLetterHeaders.consumer, 'ledger-marker');
    marker.set(DeadLetterHeaders.errorCode, 'MARKER_ERR');
    await notifier.js.publish(`${notifier.namespace}.dlq.ledger-marker`, '{}', { headers: marker });
    await waitFor(async () => (await suppressedOf('dlq:ledger-marker:MARKER_ERR')) !== undefined, { timeoutMs: 20_000, description: 'the marker letter handled' });
    expect((await jsm.streams.info(stream)).state.messages).toBe(countAfter + 1);
  });
});
