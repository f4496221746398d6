import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotApiEmulator, TEST_REDIS_URL, uniqueNamespace, waitFor, type BotApiEmulator } from '@strongbox/shared-testing';
import { NotificationPriority } from '@strongbox/notify-data-access';
import { startDeliveryChild, type DeliveryChild } from '../support/delivery.child-process';
import { createDeliveryHarness, note, openChats, takeChatIds, visibleCounts, type DeliveryHarness } from '../support/delivery.harness';

// Acceptance (issue 6): with the emulator enforcing Telegram's limits, 2,000 money notifications to
// 500 users and a 5,000-user broadcast enqueued at once → zero 429 answers, never above the
// configured global rate, no chat above 1 message per second (from the emulator's recorded send
// times), every money message delivered before the broadcast's last one, each exactly once.
//
// How close the achieved rate comes to the limit depends on how busy the machine is (late timers
// give their slots up rather than burst); it is a figure, measured by `npm run bench -- notifier`
// on an idle machine, not a timed assertion. The test only checks that the sender does not idle
// (at least half the limit), which a broken limiter or claim would not reach.
//
// The configured limit is NOTIFY_FLOOD_TEST_RATE_PER_S (default 200/s, the emulator's global limit
// set equal) so the test takes about 40 s; the service default stays 30/s (see the benchmark). The
// global limit is shared through Redis, as in production. The worker runs in a process of its own:
// the emulator stands for Telegram's servers, whose clock does not stall when the sender is busy.

const ratePerSecond = Number(process.env['NOTIFY_FLOOD_TEST_RATE_PER_S'] ?? 200);
const MONEY_USERS = 500;
const MONEY_PER_USER = 4;
const BROADCAST_USERS = 5_000;
const total = MONEY_USERS * MONEY_PER_USER + BROADCAST_USERS;

let harness: DeliveryHarness;
let emulator: BotApiEmulator;
let child: DeliveryChild | undefined;

beforeAll(async () => {
  harness = await createDeliveryHarness(uniqueNamespace('nf'));
});

afterAll(async () => {
  await child?.kill();
  await harness?.close();
  await emulator?.close();
});

async function openCount(): Promise<number> {
  const rows = [...(await harness.database.db.execute(sql`select count(*)::int as open from notifications where state in ('pending', 'sending')`))];
  return Number(rows[0]?.['open']);
}

describe('flood control', () => {
  it(
    `${total} notifications at ${ratePerSecond}/s: zero 429, never above the limit, at most 1/s per chat, money before the broadcast ends`,
    async () => {
      emulator = await startBotApiEmulator({ floodLimits: { perChatPerSecond: 1, globalPerSecond: ratePerSecond } });
      const moneyChats = takeChatIds(MONEY_USERS);
      const broadcastChats = takeChatIds(BROADCAST_USERS);
      openChats(emulator, [...moneyChats, ...broadcastChats]);
      const broadcastId = '0190f3a4-5b6c-7d8e-9f00-b0adca570001';
      // The broadcast first: priority, not arrival, must put the money messages ahead of it.
      await harness.enqueue(broadcastChats.map((chat) => note(chat, 1, { priority: NotificationPriority.broadcast, broadcastId })));
      await harness.enqueue(
        Array.from({ length: MONEY_PER_USER }, (_, round) => moneyChats.map((chat) => note(chat, round + 1, { priority: NotificationPriority.money }))).flat(),
      );

      child = await startDeliveryChild({
        namespace: harness.namespace,
        token: emulator.token,
        apiRoot: emulator.apiRoot,
        redisUrl: TEST_REDIS_URL,
        // 5 % headroom instead of the default 1.5 %: on a machine whose two cores are busy with the
        // rest of the suite, requests reach the emulator bunched by more than 15 ms a second. The
        // default's figure on an idle machine is the benchmark's.
        options: { globalRatePerSecond: ratePerSecond, concurrency: 8, rateHeadroom: 0.05 },
      });
      // Progress comes from PostgreSQL: snapshotting the emulator's record while it works would stall
      // it, and a stalled Telegram stamps the requests that waited meanwhile together.
      await waitFor(async () => (await openCount()) === 0, { timeoutMs: (total / ratePerSecond) * 1_000 * 2 + 30_000, intervalMs: 1_000, description: 'all settled' });
      expect((await harness.notifications()).every((row) => row.state === 'delivered')).toBe(true);

      const sent = emulator.sentMessages();
      const refusals = emulator.calls('sendMessage').filter((call) => call.errorCode === 429);
      const times = sent.map((message) => message.sentAt).sort((a, b) => a - b);
      const spanS = ((times.at(-1) as number) - (times[0] as number)) / 1_000;
      const achieved = (sent.length - 1) / spanS;
      const byChat = new Map<number, number[]>();
      for (const message of sent) byChat.set(message.chatId, [...(byChat.get(message.chatId) ?? []), message.sentAt]);
      let tightestChatGapMs = Number.POSITIVE_INFINITY;
      for (const chatTimes of byChat.values()) {
        for (let index = 1; index < chatTimes.length; index += 1) tightestChatGapMs = Math.min(tightestChatGapMs, (chatTimes[index] as number) - (chatTimes[index - 1] as number));
      }
      const moneySet = new Set(moneyChats);
      const lastMoneyMs = Math.max(...sent.filter((message) => moneySet.has(message.chatId)).map((message) => message.sentAt));
      const lastBroadcastMs = Math.max(...sent.filter((message) => !moneySet.has(message.chatId)).map((message) => message.sentAt));
      await child.stop();
      const report = child.logs.find((line) => line['msg'] === 'delivery child report');
      process.stdout.write(
        `flood: slots given up ${JSON.stringify(report?.['slotsMissed'])}, claim ${String(report?.['claimMsMean'])} ms on average\n`,
      );
      process.stdout.write(
        `flood: ${sent.length} sent in ${spanS.toFixed(2)} s = ${achieved.toFixed(2)}/s (limit ${ratePerSecond}), 429: ${refusals.length}, tightest chat gap ${tightestChatGapMs} ms\n`,
      );

      expect(refusals).toHaveLength(0);
      expect(achieved).toBeLessThanOrEqual(ratePerSecond);
      expect(achieved).toBeGreaterThanOrEqual(ratePerSecond * 0.5);
      expect(tightestChatGapMs).toBeGreaterThanOrEqual(1_000);
      expect(lastMoneyMs).toBeLessThan(lastBroadcastMs);
      const counts = visibleCounts(emulator);
      expect(counts.size).toBe(total);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
      // The limit was shared through Redis the whole time.
      expect(child.logs.some((line) => String(line['msg']).includes('Redis unavailable'))).toBe(false);
      expect(child.logs.some((line) => line['limiter'] === 'redis')).toBe(true);
    },
    180_000,
  );
});
