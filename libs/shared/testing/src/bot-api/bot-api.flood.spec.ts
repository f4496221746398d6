// Proves the flood limiter's sliding one-second windows: per chat and global, a refusal names the
// whole seconds until a slot frees up, and a slot frees exactly one second after the send it held.
import { describe, expect, it } from 'vitest';
import { TestingErrorCodes } from '../errors';
import { FloodLimiter, TELEGRAM_FLOOD_LIMITS } from './bot-api.flood';

describe('FloodLimiter', () => {
  it('allows one send per chat per second with Telegram limits', () => {
    const limiter = new FloodLimiter(TELEGRAM_FLOOD_LIMITS);
    expect(limiter.check(1, 10_000)).toEqual({ allowed: true });
    limiter.record(1, 10_000);
    expect(limiter.check(1, 10_010)).toEqual({ allowed: false, retryAfterS: 1 });
    expect(limiter.check(2, 10_010)).toEqual({ allowed: true });
    expect(limiter.check(1, 11_000)).toEqual({ allowed: true });
  });

  it('applies the global limit across chats', () => {
    const limiter = new FloodLimiter({ perChatPerSecond: 5, globalPerSecond: 3 });
    for (const chatId of [1, 2, 3]) {
      expect(limiter.check(chatId, 0)).toEqual({ allowed: true });
      limiter.record(chatId, 0);
    }
    expect(limiter.check(4, 500)).toEqual({ allowed: false, retryAfterS: 1 });
    expect(limiter.check(4, 1_000)).toEqual({ allowed: true });
  });

  it('counts only what was recorded: a refused check does not use a slot', () => {
    const limiter = new FloodLimiter({ perChatPerSecond: 2, globalPerSecond: 30 });
    limiter.record(1, 0);
    limiter.record(1, 400);
    expect(limiter.check(1, 500).allowed).toBe(false);
    expect(limiter.check(1, 1_000)).toEqual({ allowed: true });
  });

  it.each([
    { perChatPerSecond: 0, globalPerSecond: 30 },
    { perChatPerSecond: 1, globalPerSecond: 1.5 },
    { perChatPerSecond: Number.NaN, globalPerSecond: 30 },
  ])('refuses limits %j', (limits) => {
    expect(() => new FloodLimiter(limits)).toThrow(expect.objectContaining({ code: TestingErrorCodes.invalidOption }));
  });
});
