// Proves the per-user flood limit against a private redis-server and the Bot API emulator: within
// the limit every update is handled; the first update over it gets one translated "slow down" and
// the rest are silently dropped; the counters live in Redis (two gateway processes share them);
// with Redis killed the in-memory insurance counters take over with the same limits, so users see
// no change and nothing throws; with Redis hung (fault proxy stalled) and its breaker open, counting
// goes to memory at once instead of waiting for the command timeout on every update.
import { Bot, type Context } from 'grammy';
import type { I18nFlavor } from '@grammyjs/i18n';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createI18n } from '@strongbox/shared-i18n';
import { startBotApiEmulator, startTcpFaultProxy, uniqueNamespace, waitFor, type BotApiEmulator } from '@strongbox/shared-testing';
import { createCircuitBreaker } from '@strongbox/shared-resilience';
import { createUserFloodLimit, FloodDecisions } from '../../src/index';
import { gatewayRedisClient, privateRedisUnderTest, testLogger, type RedisUnderTest } from '../support/gateway.harness';

type TestContext = Context & I18nFlavor;

const LIMIT = { updatesMax: 4, windowSeconds: 60, silenceSeconds: 60 };

let redis: RedisUnderTest;
let emulator: BotApiEmulator;
let bot: Bot<TestContext>;
let polling: Promise<void>;

beforeAll(async () => {
  redis = await privateRedisUnderTest(uniqueNamespace('gwf'));
  emulator = await startBotApiEmulator();
  bot = new Bot<TestContext>(emulator.token, { client: { apiRoot: emulator.apiRoot } });
  bot.use(createI18n<TestContext>({ localeNegotiator: (ctx) => (ctx.from?.language_code === 'ru' ? 'ru' : 'en') }));
  bot.use(createUserFloodLimit({ redis: redis.client, logger: testLogger, ...LIMIT }).middleware<TestContext>());
  bot.on('message:text', (ctx) => ctx.reply(`echo ${ctx.message.text}`));
  await bot.init();
  polling = bot.start({ timeout: 1 });
});

afterAll(async () => {
  await bot?.stop();
  await polling?.catch(() => undefined);
  await emulator?.close();
  await redis?.dispose();
});

/** Floods with `count` messages, then waits for a probe user's reply (updates are handled in order). */
async function flood(user: { userId: number; languageCode: string }, count: number): Promise<string[]> {
  for (let index = 1; index <= count; index += 1) await emulator.sendMessage(user, `m${index}`);
  const probe = { userId: user.userId + 1_000_000, languageCode: 'en' };
  await emulator.sendMessage(probe, 'probe');
  await emulator.waitForMessage((m) => m.chatId === probe.userId && m.text === 'echo probe', { timeoutMs: 10_000 });
  return emulator.sentMessages(user.userId).map((m) => m.text ?? '');
}

describe('per-user flood limit', () => {
  it('handles updates within the limit, answers the first one over it once, then stays silent', async () => {
    const texts = await flood({ userId: 5_001, languageCode: 'en' }, LIMIT.updatesMax + 3);
    expect(texts).toEqual([
      'echo m1',
      'echo m2',
      'echo m3',
      'echo m4',
      'You are sending messages too fast. Please wait a few seconds; I will ignore messages until then.',
    ]);
    const raw = redis.raw();
    const keys = await raw.keys('*:flood:updates:5001');
    raw.disconnect();
    expect(keys).toHaveLength(1);
  });

  it('answers in the user\'s language', async () => {
    const texts = await flood({ userId: 5_002, languageCode: 'ru' }, LIMIT.updatesMax + 2);
    expect(texts.at(-1)).toBe('Вы отправляете сообщения слишком часто. Подождите несколько секунд: до тех пор я не буду отвечать.');
    expect(texts).toHaveLength(LIMIT.updatesMax + 1);
  });

  it('shares the counters of several gateway processes through Redis', async () => {
    const first = createUserFloodLimit({ redis: redis.client, logger: testLogger, ...LIMIT });
    const second = createUserFloodLimit({ redis: redis.client, logger: testLogger, ...LIMIT });
    for (let index = 0; index < LIMIT.updatesMax; index += 1) expect(await first.check(5_003)).toBe(FloodDecisions.pass);
    expect(await second.check(5_003)).toBe(FloodDecisions.warn);
    expect(await first.check(5_003)).toBe(FloodDecisions.drop);
  });

  it('with Redis hung, counts in memory at once once the Redis breaker is open, instead of waiting for the command timeout', async () => {
    const proxy = await startTcpFaultProxy({ host: '127.0.0.1', port: redis.server.port });
    const client = gatewayRedisClient(`redis://${proxy.host}:${proxy.port}`, uniqueNamespace('gwh'));
    try {
      await waitFor(() => client.status === 'ready', { timeoutMs: 5_000, description: 'client through the proxy' });
      const breaker = createCircuitBreaker({ name: 'test-redis', consecutiveFailures: 1, halfOpenAfterMs: 60_000 });
      const limit = createUserFloodLimit({ redis: client, logger: testLogger, ...LIMIT, redisUsable: () => breaker.state() !== 'open' });
      expect(await limit.check(5_005)).toBe(FloodDecisions.pass);

      proxy.stall();
      // What the session storage sees first: a command that times out opens the shared breaker.
      await expect(breaker.execute(() => client.get('probe'))).rejects.toThrow();
      expect(breaker.state()).toBe('open');
      const decisions = [];
      for (let index = 0; index < LIMIT.updatesMax + 1; index += 1) {
        const startedAt = performance.now();
        decisions.push(await limit.check(5_005));
        // The client's command timeout is 1 s: no check waited for it.
        expect(performance.now() - startedAt).toBeLessThan(1_000);
      }
      // Memory counted from zero: the update counted in Redis before the hang is not known here.
      expect(decisions).toEqual([...Array.from({ length: LIMIT.updatesMax }, () => FloodDecisions.pass), FloodDecisions.warn]);
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });

  it('with Redis killed, counts in memory with the same limits and the same answers', async () => {
    await redis.server.kill();
    await waitFor(() => redis.client.status !== 'ready', { timeoutMs: 5_000, description: 'client sees redis gone' });
    const texts = await flood({ userId: 5_004, languageCode: 'en' }, LIMIT.updatesMax + 3);
    expect(texts).toEqual(['echo m1', 'echo m2', 'echo m3', 'echo m4', 'You are sending messages too fast. Please wait a few seconds; I will ignore messages until then.']);
    await redis.server.restart();
    await redis.waitUntilReady();
  });
});
