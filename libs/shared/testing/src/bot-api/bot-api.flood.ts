import { TestingError, TestingErrorCodes } from '../errors';

// ---------------------------------------------------------------------------------------------
// Flood control like Telegram's: a per-chat and a global number of messages per second. A call
// over either limit is refused with 429 and `retry_after`, the seconds until a slot frees up.
// ---------------------------------------------------------------------------------------------

/** Messages the bot may send per second, per chat and in total. */
export interface FloodLimits {
  perChatPerSecond: number;
  globalPerSecond: number;
}

/** The limits Telegram documents for bots: about one message per second in a chat, 30 in total. */
export const TELEGRAM_FLOOD_LIMITS: Readonly<FloodLimits> = Object.freeze({ perChatPerSecond: 1, globalPerSecond: 30 });

/** Chats tracked at once; chats with no send in the last second are forgotten first. */
export const FLOOD_CHATS_MAX = 10_000;
const WINDOW_MS = 1_000;

/** May a send go ahead now, and if not, in how many whole seconds. */
export type FloodDecision = { allowed: true } | { allowed: false; retryAfterS: number };

/** Sliding one-second windows of send times, per chat and global. */
export class FloodLimiter {
  private readonly perChat = new Map<number, number[]>();
  private readonly global: number[] = [];

  constructor(private readonly limits: FloodLimits) {
    const valid = (value: number): boolean => Number.isSafeInteger(value) && value >= 1;
    if (!valid(limits.perChatPerSecond) || !valid(limits.globalPerSecond)) {
      throw new TestingError(TestingErrorCodes.invalidOption, 'flood limits must be whole numbers of at least one message per second');
    }
  }

  /** Checks a send to `chatId` at `nowMs` without counting it; `record` counts it once it succeeded. */
  check(chatId: number, nowMs: number): FloodDecision {
    this.prune(nowMs);
    const chat = this.perChat.get(chatId) ?? [];
    const waits: number[] = [];
    if (chat.length >= this.limits.perChatPerSecond) waits.push(this.waitMs(chat, this.limits.perChatPerSecond, nowMs));
    if (this.global.length >= this.limits.globalPerSecond) waits.push(this.waitMs(this.global, this.limits.globalPerSecond, nowMs));
    if (waits.length === 0) return { allowed: true };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil(Math.max(...waits) / 1000)) };
  }

  /** Counts a send that went through. */
  record(chatId: number, nowMs: number): void {
    let chat = this.perChat.get(chatId);
    if (chat === undefined) {
      if (this.perChat.size >= FLOOD_CHATS_MAX) this.prune(nowMs);
      if (this.perChat.size >= FLOOD_CHATS_MAX) {
        const oldest = this.perChat.keys().next();
        if (oldest.done !== true) this.perChat.delete(oldest.value);
      }
      chat = [];
      this.perChat.set(chatId, chat);
    }
    chat.push(nowMs);
    this.global.push(nowMs);
  }

  /** Time until the window holds fewer than `limit` sends. */
  private waitMs(times: readonly number[], limit: number, nowMs: number): number {
    const freeing = times[times.length - limit] ?? nowMs;
    return freeing + WINDOW_MS - nowMs;
  }

  private prune(nowMs: number): void {
    const cutoff = nowMs - WINDOW_MS;
    while (this.global.length > 0 && (this.global[0] as number) <= cutoff) this.global.shift();
    for (const [chatId, times] of this.perChat) {
      while (times.length > 0 && (times[0] as number) <= cutoff) times.shift();
      if (times.length === 0) this.perChat.delete(chatId);
    }
  }
}
