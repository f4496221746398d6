import { Api, BotError, GrammyError } from 'grammy';
import type { Update } from 'grammy/types';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createI18n } from '@strongbox/shared-i18n';
import { DependencyUnavailableError } from './flows/dependency.errors';
import { TELEGRAM_RETRY_AFTER_MAX_S } from './telegram.flood-control';
import { createUpdateOutcomes, floodWaitOf, isOutage } from './update.outcomes';

// The outcome of a failed update, without servers: outages wait (and the user hears once that
// the request is kept), Telegram's flood control waits its retry_after (silently, uncounted), real
// failures are retried and dead-lettered after the limit.

function update(updateId: number, chatId = 42): Update {
  return {
    update_id: updateId,
    message: { message_id: 1, date: 0, chat: { id: chatId, type: 'private', first_name: 'A' }, from: { id: chatId, is_bot: false, first_name: 'A', language_code: 'ru' }, text: 'hi' },
  } as Update;
}

/** An Api whose sendMessage records its calls instead of reaching Telegram. */
function recordingApi(): { api: Api; sent: Array<{ chatId: number; text: string }> } {
  const sent: Array<{ chatId: number; text: string }> = [];
  const api = new Api('123:test');
  api.config.use(async (_prev, method, payload) => {
    if (method === 'sendMessage') sent.push({ chatId: (payload as { chat_id: number }).chat_id, text: (payload as { text: string }).text });
    return { ok: true, result: true } as never;
  });
  return { api, sent };
}

/** Telegram's 429 as grammY throws it from a call, wrapped by grammY's handleUpdate. */
function tooManyRequests(retryAfterS: number): BotError {
  const error = new GrammyError(
    `Call to 'sendMessage' failed!`,
    { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfterS}`, parameters: { retry_after: retryAfterS } },
    'sendMessage',
    {},
  );
  return new BotError(error, {} as never);
}

function outcomes(api: Api, now = () => 0) {
  return createUpdateOutcomes({
    api,
    i18n: createI18n(),
    botId: 1,
    logger: pino({ level: 'silent' }),
    failuresMax: 3,
    outageRetryMs: 1_000,
    outageRetryMaxMs: 4_000,
    degradedNoticeWindowMs: 60_000,
    now,
  });
}

describe('isOutage', () => {
  it.each([
    ['a dependency that does not answer', new DependencyUnavailableError('ledger'), true],
    ['the same inside a BotError', new BotError(new DependencyUnavailableError('ledger'), {} as never), true],
    ['a refused database connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true],
    ['a defect', new TypeError('undefined is not a function'), false],
  ])('%s → %s', (_label, error, expected) => {
    expect(isOutage(error)).toBe(expected);
  });
});

describe('floodWaitOf', () => {
  it('finds a 429 inside a BotError or a cause, and nothing in other Telegram errors', () => {
    expect(floodWaitOf(tooManyRequests(5))?.parameters.retry_after).toBe(5);
    expect(floodWaitOf(new Error('wrapped', { cause: tooManyRequests(5).error }))?.error_code).toBe(429);
    const forbidden = new GrammyError("Call to 'sendMessage' failed!", { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }, 'sendMessage', {});
    expect(floodWaitOf(forbidden)).toBeUndefined();
    expect(isOutage(tooManyRequests(5))).toBe(false);
  });
});

describe('update outcomes', () => {
  it('defers an update through an outage with growing waits and tells the chat once, in its language', async () => {
    const { api, sent } = recordingApi();
    const run = outcomes(api);
    const results = [];
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      results.push(await run.run(update(7), attempt, () => Promise.reject(new DependencyUnavailableError('ledger'))));
    }
    expect(results).toEqual([{ retryAfterMs: 1_000 }, { retryAfterMs: 2_000 }, { retryAfterMs: 4_000 }, { retryAfterMs: 4_000 }]);
    expect(sent).toEqual([{ chatId: 42, text: expect.stringMatching(/технические работы/i) as unknown as string }]);
  });

  it('retries a failing update and dead-letters it at the limit; outages in between do not count', async () => {
    const { api } = recordingApi();
    const run = outcomes(api);
    const failing = () => Promise.reject(new TypeError('boom'));
    await expect(run.run(update(8), 1, failing)).rejects.toThrow('boom');
    await run.run(update(8), 2, () => Promise.reject(new DependencyUnavailableError('ledger')));
    await expect(run.run(update(8), 3, failing)).rejects.toThrow('boom');
    expect(await run.run(update(8), 4, failing)).toEqual({ deadLetter: { errorCode: 'MESSAGING_ERR_HANDLER_FAILED', errorMessage: 'TypeError: boom' } });
  });

  it('a 429 beyond the in-handler bound defers the update by its retry_after, never dead-letters it and sends no notice', async () => {
    const { api, sent } = recordingApi();
    const run = outcomes(api);
    const retryAfterS = TELEGRAM_RETRY_AFTER_MAX_S * 2;
    const results = [];
    // Twice the failure limit: none of them counts.
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      results.push(await run.run(update(10), attempt, () => Promise.reject(tooManyRequests(retryAfterS))));
    }
    expect(results).toEqual(Array.from({ length: 6 }, () => ({ retryAfterMs: retryAfterS * 1_000 })));
    expect(sent).toEqual([]);
    // Nor do they use up the failures of a real defect afterwards: it still takes all three.
    const failing = () => Promise.reject(new TypeError('boom'));
    await expect(run.run(update(10), 7, failing)).rejects.toThrow('boom');
    await expect(run.run(update(10), 8, failing)).rejects.toThrow('boom');
    expect(await run.run(update(10), 9, failing)).toMatchObject({ deadLetter: { errorMessage: 'TypeError: boom' } });
  });

  it('resolves to nothing when the handler succeeds', async () => {
    const { api, sent } = recordingApi();
    expect(await outcomes(api).run(update(9), 1, () => Promise.resolve())).toBeUndefined();
    expect(sent).toEqual([]);
  });
});
