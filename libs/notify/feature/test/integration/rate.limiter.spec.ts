import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedis, uniqueNamespace, waitFor, type PrivateServer } from '@strongbox/shared-testing';
import { createGlobalRateLimiter } from '../../src/index';
import { openTestRedis } from '../support/delivery.harness';

// The global limiter on a private Redis: two replicas' reservations interleave into one evenly
// spaced sequence (no fixed-window burst), a 429 pause taken by one holds back the other, and with
// Redis killed each falls back to its share (limit / replicas) in memory, then returns to Redis.

const logger = pino({ level: 'silent' });
let redis: PrivateServer;

beforeAll(async () => {
  redis = await startPrivateRedis();
});

afterAll(async () => {
  await redis?.stop();
});

/** Reserves `count` slots in turn from the given limiters; returns each slot's offset from the first, in ms. */
async function reserveOffsets(limiters: ReadonlyArray<{ reserve(): Promise<number> }>, count: number): Promise<number[]> {
  const startMs = performance.now();
  const slots: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const waitMs = await (limiters[index % limiters.length] as { reserve(): Promise<number> }).reserve();
    slots.push(performance.now() + waitMs - startMs);
  }
  return slots.map((slot) => slot - (slots[0] as number));
}

describe('global rate limiter', () => {
  it('two replicas through Redis share one evenly spaced sequence of slots', async () => {
    const namespace = uniqueNamespace('nl');
    const clients = [openTestRedis(redis.url, namespace), openTestRedis(redis.url, namespace)];
    await waitFor(() => clients.every((client) => client.status === 'ready'), { timeoutMs: 5_000, description: 'redis ready' });
    const limiters = clients.map((client) => createGlobalRateLimiter({ ratePerSecond: 100, replicas: 2, headroom: 0, redis: client, logger }));
    const offsets = await reserveOffsets(limiters, 200);
    // 200 slots at 100/s: the last one 1990 ms after the first. Offsets are mapped from Redis' clock
    // by the best offset seen so far, which can still improve by a few milliseconds during the run.
    expect(offsets.at(-1)).toBeGreaterThanOrEqual(1_990 - 10);
    // In no sliding second are there more than 100 slots.
    for (let index = 0; index + 100 < offsets.length; index += 1) expect((offsets[index + 100] as number) - (offsets[index] as number)).toBeGreaterThanOrEqual(990);
    expect(limiters.every((limiter) => limiter.mode() === 'redis')).toBe(true);

    // A 429 seen by one replica holds back the other.
    await limiters[0]?.pause(1_500);
    expect(await limiters[1]?.reserve()).toBeGreaterThanOrEqual(1_400);
    for (const client of clients) client.disconnect();
  });

  it('with Redis down each replica keeps its share in memory, and goes back to Redis when it returns', async () => {
    const namespace = uniqueNamespace('nl');
    const client = openTestRedis(redis.url, namespace);
    await waitFor(() => client.status === 'ready', { timeoutMs: 5_000, description: 'redis ready' });
    const modes: string[] = [];
    const limiter = createGlobalRateLimiter({ ratePerSecond: 100, replicas: 4, headroom: 0, redis: client, logger, onModeChange: (mode) => modes.push(mode) });
    await limiter.reserve();
    expect(limiter.mode()).toBe('redis');

    await redis.kill();
    await waitFor(() => client.status !== 'ready', { timeoutMs: 5_000, description: 'client sees Redis gone' });
    const offsets = await reserveOffsets([limiter], 11);
    expect(limiter.mode()).toBe('memory');
    // A quarter of 100/s: one slot per 40 ms.
    expect(offsets.at(-1)).toBeGreaterThanOrEqual(400 - 5);

    await redis.restart();
    await waitFor(
      async () => {
        await limiter.reserve();
        return limiter.mode() === 'redis';
      },
      { timeoutMs: 20_000, description: 'back on Redis' },
    );
    expect(modes).toEqual(['memory', 'redis']);
    client.disconnect();
  });
});
