import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotApiEmulator, startPrivateRedis, uniqueNamespace, waitFor, type BotApiEmulator, type PrivateServer } from '@strongbox/shared-testing';
import { createDeliveryHarness, note, openChats, sequenceNumbers, takeChatIds, textsByChat, visibleCounts, type DeliveryHarness } from '../support/delivery.harness';

// Acceptance (issue 6): Redis stopped during delivery → same delivery. Two replicas share a global
// limit equal to the emulator's through a private Redis; it is killed mid-way (each replica falls
// back to half the limit in memory) and restarted empty (they go back to sharing it). No message
// is lost or doubled, each chat stays in order, and the emulator never answers 429.

const LIMIT = 40;
const CHATS = 40;
const PER_CHAT = 8;

let harness: DeliveryHarness;
let emulator: BotApiEmulator;
let redis: PrivateServer;

beforeAll(async () => {
  harness = await createDeliveryHarness(uniqueNamespace('nr'));
  redis = await startPrivateRedis();
});

afterAll(async () => {
  await harness?.close();
  await emulator?.close();
  await redis?.stop();
});

describe('Redis outage', () => {
  it('Redis killed and restarted during delivery: nothing lost or doubled, limits still kept', async () => {
    emulator = await startBotApiEmulator({ floodLimits: { perChatPerSecond: 1, globalPerSecond: LIMIT } });
    const chats = takeChatIds(CHATS);
    openChats(emulator, chats);
    await harness.enqueue(Array.from({ length: PER_CHAT }, (_, round) => chats.map((chat) => note(chat, round + 1))).flat());
    const options = { globalRatePerSecond: LIMIT, replicas: 2, concurrency: 8 };
    const workers = await Promise.all([harness.startWorker(emulator, options, redis.url), harness.startWorker(emulator, options, redis.url)]);
    const total = CHATS * PER_CHAT;

    await waitFor(() => emulator.sentMessages().length >= total / 4, { timeoutMs: 30_000, description: 'a quarter delivered' });
    await redis.kill();
    await waitFor(async () => (await Promise.all(workers.map((worker) => worker.metric('strongbox_notify_rate_limiter_redis')))).every((value) => value === 0), {
      timeoutMs: 10_000,
      description: 'both replicas on their in-memory share',
    });
    const sentWhileDown = emulator.sentMessages().length;
    await waitFor(() => emulator.sentMessages().length >= sentWhileDown + total / 4, { timeoutMs: 30_000, description: 'delivery goes on without Redis' });
    await redis.restart();
    await waitFor(async () => (await Promise.all(workers.map((worker) => worker.metric('strongbox_notify_rate_limiter_redis')))).every((value) => value === 1), {
      timeoutMs: 15_000,
      description: 'both replicas back on Redis',
    });
    await waitFor(async () => (await harness.notifications()).every((row) => row.state === 'delivered'), { timeoutMs: 60_000, description: 'all delivered' });

    const counts = visibleCounts(emulator);
    expect(counts.size).toBe(total);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    for (const chat of chats) expect(sequenceNumbers(textsByChat(emulator).get(chat) ?? [])).toEqual(Array.from({ length: PER_CHAT }, (_, index) => index + 1));
    expect(emulator.calls('sendMessage').filter((call) => call.errorCode === 429)).toHaveLength(0);
    expect(harness.logs.some((line) => String(line['msg']).includes('Redis unavailable'))).toBe(true);
  }, 180_000);
});
