import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotApiEmulator, startTcpFaultProxy, TELEGRAM_FLOOD_LIMITS, TEST_DATABASE_URL, uniqueNamespace, waitFor, type BotApiEmulator, type TcpFaultProxy } from '@strongbox/shared-testing';
import { createDeliveryHarness, note, openChats, sequenceNumbers, takeChatIds, textsByChat, visibleCounts, type DeliveryHarness } from '../support/delivery.harness';

// PostgreSQL lost during delivery (the worker's connections cut by a TCP fault proxy, every new one
// reset) → claiming stops, the supervised loop backs off, outcomes already received wait to be
// recorded; once PostgreSQL is back, delivery resumes by itself: nothing sent twice, order kept.

const CHATS = 20;
const PER_CHAT = 5;

let harness: DeliveryHarness;
let emulator: BotApiEmulator;
let proxy: TcpFaultProxy;

beforeAll(async () => {
  harness = await createDeliveryHarness(uniqueNamespace('np'));
  const target = new URL(TEST_DATABASE_URL);
  proxy = await startTcpFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
});

afterAll(async () => {
  await harness?.close();
  await emulator?.close();
  await proxy?.close();
});

describe('PostgreSQL outage', () => {
  it('connections cut for 5 s mid-delivery: the loop pauses and resumes by itself, nothing twice, order kept', async () => {
    emulator = await startBotApiEmulator({ floodLimits: TELEGRAM_FLOOD_LIMITS });
    const chats = takeChatIds(CHATS);
    openChats(emulator, chats);
    await harness.enqueue(Array.from({ length: PER_CHAT }, (_, round) => chats.map((chat) => note(chat, round + 1))).flat());
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.hostname = proxy.host;
    viaProxy.port = String(proxy.port);
    const running = await harness.startWorker(emulator, { globalRatePerSecond: 20 }, undefined, harness.openDatabase(viaProxy.href));

    await waitFor(() => emulator.sentMessages().length >= CHATS, { timeoutMs: 20_000, description: 'a first round delivered' });
    proxy.cut();
    // Lanes holding an answer keep retrying its record; the others' claims fail and the loop backs off.
    await waitFor(
      () => harness.logs.some((line) => line['msg'] === 'could not record a notification outcome; retrying' || String(line['msg']).includes('supervised loop notify-delivery-sender failed')),
      { timeoutMs: 10_000, description: 'the worker noticing PostgreSQL is away' },
    );
    const sentDuringCut = emulator.sentMessages().length;
    // The outage's length is the scenario, not a wait for something to happen.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    // Nothing goes out without a committed claim; at most what was claimed before the cut.
    expect(emulator.sentMessages().length - sentDuringCut).toBeLessThanOrEqual(8);
    proxy.restore();

    await waitFor(async () => (await harness.notifications()).every((row) => row.state === 'delivered' || row.state === 'unconfirmed'), {
      timeoutMs: 60_000,
      description: 'all settled after PostgreSQL returned',
    });
    const rows = await harness.notifications();
    const counts = visibleCounts(emulator);
    for (const row of rows) {
      const [chat, n] = row.id.split(':');
      if (row.state === 'delivered') expect(counts.get(`${chat}#${n}`), row.id).toBe(1);
      else expect(counts.get(`${chat}#${n}`) ?? 0, row.id).toBeLessThanOrEqual(1);
    }
    for (const chat of chats) {
      const numbers = sequenceNumbers(textsByChat(emulator).get(chat) ?? []);
      expect(numbers, `chat ${chat}`).toEqual([...numbers].sort((a, b) => a - b));
    }
    expect(await running.metric('strongbox_notify_sent_total', { outcome: 'delivered' })).toBeGreaterThanOrEqual(rows.filter((row) => row.state === 'delivered').length);
    process.stdout.write(`postgres: ${rows.filter((row) => row.state === 'delivered').length} delivered, ${rows.filter((row) => row.state === 'unconfirmed').length} unconfirmed\n`);
  }, 120_000);
});
