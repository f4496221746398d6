import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outboxTable } from '@strongbox/shared-db';
import { startBotApiEmulator, TELEGRAM_FLOOD_LIMITS, uniqueNamespace, waitFor, type BotApiEmulator } from '@strongbox/shared-testing';
import { NotificationPriority } from '@strongbox/notify-data-access';
import { createDeliveryHarness, note, openChats, sequenceNumbers, takeChatIds, textsByChat, visibleCounts, type DeliveryHarness } from '../support/delivery.harness';

// The delivery worker against the loopback PostgreSQL and the Bot API emulator: a chat's messages
// arrive oldest first and one at a time, the queue goes ops → money → info → broadcast, a delivered
// row carries Telegram's message id and puts notify.evt.message.delivered.v1 into the outbox, and
// two workers on one queue (two replicas) never send a message twice or two to one chat at once.

let harness: DeliveryHarness;
let emulator: BotApiEmulator;

beforeEach(async () => {
  harness = await createDeliveryHarness(uniqueNamespace('nd'));
});

afterEach(async () => {
  await harness.close();
  await emulator?.close();
});

describe('delivery order', () => {
  it('sends a chat’s messages oldest first whatever their priority, and the queue in priority order', async () => {
    emulator = await startBotApiEmulator({ floodLimits: TELEGRAM_FLOOD_LIMITS });
    const [mixed, ops, money, info, broadcast] = takeChatIds(5) as [number, number, number, number, number];
    openChats(emulator, [mixed, ops, money, info, broadcast]);
    const userId = '0190f3a4-5b6c-7d8e-9f00-112233445566';
    // One chat whose later messages have the more urgent priorities: the order is still its own.
    await harness.enqueue([
      note(mixed, 1, { priority: NotificationPriority.broadcast, broadcastId: '0190f3a4-5b6c-7d8e-9f00-aaaaaaaaaaaa' }),
      note(mixed, 2, { priority: NotificationPriority.info }),
      note(mixed, 3, { priority: NotificationPriority.money, userId }),
      note(mixed, 4, { priority: NotificationPriority.ops }),
    ]);
    // Four chats with one message each, enqueued least urgent first.
    await harness.enqueue([
      note(broadcast, 1, { priority: NotificationPriority.broadcast }),
      note(info, 1, { priority: NotificationPriority.info }),
      note(money, 1, { priority: NotificationPriority.money }),
      note(ops, 1, { priority: NotificationPriority.ops }),
    ]);
    // One lane: sends happen strictly one after another, so the global order is the queue's.
    const running = await harness.startWorker(emulator, { concurrency: 1 });
    await waitFor(async () => (await harness.notifications()).every((row) => row.state === 'delivered'), { timeoutMs: 20_000, description: 'all delivered' });

    expect(sequenceNumbers(textsByChat(emulator).get(mixed) ?? [])).toEqual([1, 2, 3, 4]);
    const singles = emulator
      .sentMessages()
      .filter((message) => message.chatId !== mixed)
      .map((message) => message.chatId);
    expect(singles).toEqual([ops, money, info, broadcast]);
    // The mixed chat's messages are at least a second apart (Telegram's per-chat limit), and no 429 came.
    const times = (textsByChat(emulator).get(mixed) ?? []).map((entry) => entry.sentAt);
    for (let index = 1; index < times.length; index += 1) expect((times[index] as number) - (times[index - 1] as number)).toBeGreaterThanOrEqual(1_000);
    expect(emulator.calls('sendMessage').filter((call) => call.errorCode === 429)).toHaveLength(0);
    expect(await running.metric('strongbox_notify_sent_total', { outcome: 'delivered' })).toBe(8);

    // Every row holds Telegram's message id; the user's message (and only it) produced the event.
    const rows = await harness.notifications();
    for (const row of rows) expect(row.telegramMessageId).toBeGreaterThan(0);
    const events = (await harness.database.db.select().from(outboxTable)).map((row) => row.event as unknown as { type: string; data: Record<string, unknown> });
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('notify.evt.message.delivered.v1');
    expect(events[0]?.data).toMatchObject({ userId, chatId: String(mixed), template: 'test', causationId: `cause-${mixed}-3` });
  });

  it('two workers on one queue: every message once, each chat in order, never two requests to a chat at once', async () => {
    emulator = await startBotApiEmulator({ floodLimits: { perChatPerSecond: 1, globalPerSecond: 200 } });
    const chats = takeChatIds(20);
    openChats(emulator, chats);
    const perChat = 5;
    await harness.enqueue(chats.flatMap((chatId) => Array.from({ length: perChat }, (_, index) => note(chatId, index + 1))));
    // No Redis: each worker keeps its own global share, the chats are guarded in PostgreSQL alone.
    const options = { concurrency: 8, globalRatePerSecond: 100 };
    const [first, second] = await Promise.all([harness.startWorker(emulator, options), harness.startWorker(emulator, options)]);
    await waitFor(async () => (await harness.notifications()).every((row) => row.state === 'delivered'), {
      timeoutMs: 30_000,
      description: 'all delivered',
    });

    const counts = visibleCounts(emulator);
    expect(counts.size).toBe(chats.length * perChat);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    for (const chatId of chats) expect(sequenceNumbers(textsByChat(emulator).get(chatId) ?? [])).toEqual([1, 2, 3, 4, 5]);
    expect(emulator.calls('sendMessage').filter((call) => call.errorCode === 429)).toHaveLength(0);
    // Both replicas took part.
    expect(await first!.metric('strongbox_notify_sent_total', { outcome: 'delivered' })).toBeGreaterThan(0);
    expect(await second!.metric('strongbox_notify_sent_total', { outcome: 'delivered' })).toBeGreaterThan(0);
    // Each row was attempted once: no claim was lost or taken twice.
    const attempts = await harness.database.db.execute(sql`select max(attempts)::int as most from notifications`);
    expect([...attempts][0]?.['most']).toBe(1);
  });
});
