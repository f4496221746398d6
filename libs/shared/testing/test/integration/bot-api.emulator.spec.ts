// Proves the Bot API emulator speaks Telegram's HTTP Bot API closely enough for a real grammY bot
// and for raw clients: a grammY `Bot` long-polls it (/start, inline keyboards, photos uploaded as
// multipart), and raw `fetch` calls check getUpdates' offset and long-poll semantics, webhook
// delivery with the secret header, the 401/404/400/409/429 answers (flood limits and flood waits
// imposed by the test), and that a refused call changes nothing. Every test starts its own
// emulator on a free port.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bot, GrammyError, InlineKeyboard, InputFile } from 'grammy';
import type { Message, Update } from 'grammy/types';
import {
  BOT_TOKEN_PATTERN,
  TestingError,
  TestingErrorCodes,
  startBotApiEmulator,
  waitFor,
  type BotApiEmulator,
  type EmulatedUser,
} from '../../src/index';
import { pngImage } from '../support/png';

const WAIT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;

interface ApiAnswer {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** One Bot API call over plain HTTP, as any client would make it. */
async function callApi(
  emulator: BotApiEmulator,
  method: string,
  params: Record<string, unknown> = {},
  options: { token?: string } = {},
): Promise<{ status: number; body: ApiAnswer }> {
  const response = await fetch(`${emulator.apiRoot}/bot${options.token ?? emulator.token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, body: (await response.json()) as ApiAnswer };
}

function updatesOf(answer: { body: ApiAnswer }): Update[] {
  expect(answer.body.ok).toBe(true);
  return answer.body.result as Update[];
}

const ann: EmulatedUser = { userId: 41_001, firstName: 'Ann', languageCode: 'en', username: 'ann' };
const bob: EmulatedUser = { userId: 41_002, firstName: 'Bob', languageCode: 'ru' };

let emulator: BotApiEmulator;

afterEach(async () => {
  await emulator?.close();
});

// ---------------------------------------------------------------------------------------------
// A real grammY bot, long polling
// ---------------------------------------------------------------------------------------------

describe('with a grammY bot long polling', () => {
  let bot: Bot;
  let running: Promise<void> | undefined;
  let botErrors: unknown[];

  beforeEach(async () => {
    emulator = await startBotApiEmulator();
    bot = new Bot(emulator.token, { client: { apiRoot: emulator.apiRoot } });
    botErrors = [];
    bot.catch((error) => botErrors.push(error.error));
  });

  afterEach(async () => {
    if (bot.isRunning()) await bot.stop();
    await running;
    running = undefined;
    expect(botErrors).toEqual([]);
  });

  /** Starts polling and resolves once grammY called getMe and deleteWebhook and is polling. */
  async function startPolling(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      running = bot.start({ timeout: 10, onStart: () => resolve() });
      running.catch(reject);
    });
  }

  it('answers /start: the update carries a bot_command entity and the reply lands in sentMessages', async () => {
    const seenEntities: unknown[] = [];
    bot.command('start', async (ctx) => {
      seenEntities.push(ctx.message?.entities);
      await ctx.reply(`Hello, <b>${ctx.from?.first_name}</b>`, { parse_mode: 'HTML' });
    });
    await startPolling();

    const update = await emulator.sendMessage(ann, '/start');
    const reply = await emulator.waitForMessage((m) => m.chatId === ann.userId, { timeoutMs: WAIT_MS });

    expect(reply.text).toBe('Hello, Ann');
    expect(reply.rawText).toBe('Hello, <b>Ann</b>');
    expect(reply.entities).toEqual([{ type: 'bold', offset: 7, length: 3 }]);
    expect(reply.messageId).toBeGreaterThan(update.message!.message_id);
    expect(seenEntities).toEqual([[{ type: 'bot_command', offset: 0, length: 6 }]]);
    expect(emulator.sentMessages(ann.userId)).toEqual([reply]);
    expect(emulator.sentMessages(bob.userId)).toEqual([]);
    expect(emulator.calls('getMe')).toHaveLength(1);
    expect(emulator.calls('deletewebhook')).toHaveLength(1);
  });

  it('delivers a button press: the callback handler answers the query and edits the message', async () => {
    bot.command('menu', (ctx) => ctx.reply('Pick one', { reply_markup: new InlineKeyboard().text('Yes', 'pick:yes').text('No', 'pick:no') }));
    bot.callbackQuery(/^pick:(.+)$/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: 'Noted' });
      await ctx.editMessageText(`You picked ${ctx.match[1]}`);
    });
    await startPolling();

    await emulator.sendMessage(ann, '/menu');
    const menu = await emulator.waitForMessage((m) => m.text === 'Pick one', { timeoutMs: WAIT_MS });
    expect(menu.replyMarkup).toEqual({
      inline_keyboard: [
        [
          { text: 'Yes', callback_data: 'pick:yes' },
          { text: 'No', callback_data: 'pick:no' },
        ],
      ],
    });

    const press = await emulator.pressButton(ann, menu, 'pick:yes');
    const edited = await emulator.waitForMessage((m) => m.messageId === menu.messageId && m.text === 'You picked yes', { timeoutMs: WAIT_MS });

    expect(edited.history.map((version) => version.method)).toEqual(['sendMessage', 'editMessageText']);
    expect(edited.replyMarkup).toBeUndefined();
    await waitFor(() => emulator.callbackAnswers().length === 1, { timeoutMs: WAIT_MS, description: 'the callback query is answered' });
    expect(emulator.callbackAnswers()).toMatchObject([{ callbackQueryId: press.callback_query!.id, text: 'Noted' }]);
    // The edit took the keyboard away, so its buttons can no longer be pressed.
    await expect(emulator.pressButton(ann, menu, 'pick:no')).rejects.toMatchObject({ code: TestingErrorCodes.emulatorMisuse });
  });

  it('accepts a photo uploaded as multipart and a second send by its file_id', async () => {
    const image = pngImage(40, 30);
    bot.command('chart', async (ctx) => {
      const first = await ctx.replyWithPhoto(new InputFile(image, 'chart.png'), { caption: '<b>Chart</b> of the day', parse_mode: 'HTML' });
      await ctx.replyWithPhoto(first.photo.at(-1)!.file_id);
    });
    await startPolling();

    await emulator.sendMessage(ann, '/chart');
    await waitFor(() => emulator.sentMessages(ann.userId).length === 2, { timeoutMs: WAIT_MS, description: 'both photos are sent' });
    const [uploaded, resent] = emulator.sentMessages(ann.userId);

    expect(uploaded).toMatchObject({
      kind: 'photo',
      text: undefined,
      caption: 'Chart of the day',
      entities: [{ type: 'bold', offset: 0, length: 5 }],
      photo: { source: 'upload', filename: 'chart.png', sizeBytes: image.length, width: 40, height: 30 },
    });
    expect(resent).toMatchObject({ kind: 'photo', caption: undefined, photo: { source: 'file_id', fileId: uploaded!.photo!.fileId, width: 40 } });
    // grammY sent the bytes as a multipart file part; the record keeps its name and size only.
    const [call] = emulator.calls('sendPhoto');
    expect(Object.values(call!.params)).toContainEqual({ filename: 'chart.png', sizeBytes: image.length });
  });

  it('refuses an upload that is not an image, as Telegram does, through grammY', async () => {
    emulator.openChat(ann);
    const error = await bot.api.sendPhoto(ann.userId, new InputFile(Buffer.from('not an image at all'), 'notes.txt')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({ error_code: 400, description: 'Bad Request: IMAGE_PROCESS_FAILED' });
    expect(emulator.sentMessages()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// getUpdates over raw HTTP
// ---------------------------------------------------------------------------------------------

describe('getUpdates', () => {
  beforeEach(async () => {
    emulator = await startBotApiEmulator();
  });

  it('redelivers updates until an offset confirms them, with strictly increasing ids', async () => {
    await emulator.sendMessage(ann, 'one');
    await emulator.sendMessage(bob, 'two');
    await emulator.sendMessage(ann, 'three');

    const all = updatesOf(await callApi(emulator, 'getUpdates'));
    expect(all.map((update) => update.message?.text)).toEqual(['one', 'two', 'three']);
    const ids = all.map((update) => update.update_id);
    expect(ids[1]! > ids[0]! && ids[2]! > ids[1]!).toBe(true);

    expect(updatesOf(await callApi(emulator, 'getUpdates', { limit: 2 })).map((update) => update.update_id)).toEqual(ids.slice(0, 2));
    expect(updatesOf(await callApi(emulator, 'getUpdates', { offset: ids[1] }))).toHaveLength(2);
    // The offset confirmed the first update for good.
    expect(updatesOf(await callApi(emulator, 'getUpdates')).map((update) => update.update_id)).toEqual(ids.slice(1));
    expect(updatesOf(await callApi(emulator, 'getUpdates', { offset: ids[2]! + 1 }))).toEqual([]);
    expect(emulator.pendingUpdateCount()).toBe(0);

    const next = await emulator.sendMessage(ann, 'four');
    expect(next.update_id).toBeGreaterThan(ids[2]!);
  });

  it('holds a long poll until an update arrives', async () => {
    const poll = callApi(emulator, 'getUpdates', { timeout: 8 });
    await waitFor(() => emulator.calls('getUpdates')[0]?.ok === undefined && emulator.calls('getUpdates').length === 1, {
      timeoutMs: WAIT_MS,
      description: 'the long poll is held',
    });
    const startedAt = Date.now();
    await emulator.sendMessage(ann, 'wake up');

    const updates = updatesOf(await poll);
    expect(updates.map((update) => update.message?.text)).toEqual(['wake up']);
    expect(Date.now() - startedAt).toBeLessThan(4_000);
  });

  it('answers an empty long poll with no updates once its timeout passes', async () => {
    const startedAt = Date.now();
    const updates = updatesOf(await callApi(emulator, 'getUpdates', { timeout: 1 }));
    expect(updates).toEqual([]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(950);
  });

  it('ends a held long poll with 409 when another getUpdates arrives', async () => {
    const first = callApi(emulator, 'getUpdates', { timeout: 8 });
    await waitFor(() => emulator.calls('getUpdates').length === 1, { timeoutMs: WAIT_MS, description: 'the first poll arrives' });
    const second = await callApi(emulator, 'getUpdates', { timeout: 0 });

    expect(second.status).toBe(200);
    expect((await first).body).toEqual({
      ok: false,
      error_code: 409,
      description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    });
  });

  it('queues only the update types named in allowed_updates', async () => {
    updatesOf(await callApi(emulator, 'getUpdates', { allowed_updates: ['callback_query'] }));
    await emulator.sendMessage(ann, 'ignored');
    expect(emulator.pendingUpdateCount()).toBe(0);

    updatesOf(await callApi(emulator, 'getUpdates', { allowed_updates: [] }));
    await emulator.sendMessage(ann, 'seen');
    expect(updatesOf(await callApi(emulator, 'getUpdates')).map((update) => update.message?.text)).toEqual(['seen']);
  });
});

// ---------------------------------------------------------------------------------------------
// Webhook
// ---------------------------------------------------------------------------------------------

describe('webhook', () => {
  interface Delivery {
    headers: IncomingHttpHeaders;
    update: Update;
  }
  let receiver: Server;
  let receiverUrl: string;
  let deliveries: Delivery[];
  let failuresToAnswer: number;

  beforeEach(async () => {
    emulator = await startBotApiEmulator();
    deliveries = [];
    failuresToAnswer = 0;
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (failuresToAnswer > 0) {
          failuresToAnswer -= 1;
          response.writeHead(503).end();
          return;
        }
        deliveries.push({ headers: request.headers, update: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Update });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const address = receiver.address();
    if (address === null || typeof address === 'string') throw new Error('no receiver port');
    receiverUrl = `http://127.0.0.1:${address.port}/telegram/webhook`;
  });

  afterEach(async () => {
    await emulator.close();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('POSTs updates with the secret header, retries a failed delivery, and refuses getUpdates meanwhile', async () => {
    const set = await callApi(emulator, 'setWebhook', { url: receiverUrl, secret_token: 'whsec_Test-123' });
    expect(set.body).toEqual({ ok: true, result: true });
    expect(emulator.webhook()).toEqual({ url: receiverUrl, secretToken: 'whsec_Test-123' });

    failuresToAnswer = 1;
    const update = await emulator.sendMessage(ann, 'via webhook');
    await waitFor(() => deliveries.length === 1, { timeoutMs: WAIT_MS, description: 'the update reaches the webhook' });

    expect(deliveries[0]!.headers['x-telegram-bot-api-secret-token']).toBe('whsec_Test-123');
    expect(deliveries[0]!.headers['content-type']).toBe('application/json');
    expect(deliveries[0]!.update).toEqual(update);
    await waitFor(() => emulator.pendingUpdateCount() === 0, { timeoutMs: WAIT_MS, description: 'the delivery is confirmed' });
    const info = await callApi(emulator, 'getWebhookInfo');
    expect(info.body.result).toMatchObject({
      url: receiverUrl,
      pending_update_count: 0,
      last_error_message: 'Wrong response from the webhook: 503 Service Unavailable',
    });

    const conflict = await callApi(emulator, 'getUpdates');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({
      ok: false,
      error_code: 409,
      description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    });

    expect((await callApi(emulator, 'deleteWebhook')).body).toEqual({ ok: true, result: true });
    expect(emulator.webhook()).toBeNull();
    await emulator.sendMessage(ann, 'polled again');
    expect(updatesOf(await callApi(emulator, 'getUpdates')).map((item) => item.message?.text)).toEqual(['polled again']);
    expect(deliveries).toHaveLength(1);
  });

  it('refuses a secret token with characters Telegram does not allow', async () => {
    const answer = await callApi(emulator, 'setWebhook', { url: receiverUrl, secret_token: 'has spaces' });
    expect(answer.body).toEqual({ ok: false, error_code: 400, description: 'Bad Request: secret token contains unallowed characters' });
    expect(emulator.webhook()).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Errors, flood control and the test API
// ---------------------------------------------------------------------------------------------

describe('refused calls', () => {
  beforeEach(async () => {
    emulator = await startBotApiEmulator();
    emulator.openChat(ann);
  });

  it('answers 401 to a wrong token and 404 to an unknown method, like Telegram', async () => {
    const wrongToken = `${emulator.botId}:AA${'x'.repeat(33)}`;
    const unauthorized = await callApi(emulator, 'getMe', {}, { token: wrongToken });
    expect(unauthorized).toEqual({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
    expect(emulator.calls()).toEqual([]);

    const unknown = await callApi(emulator, 'sendTelepathy');
    expect(unknown).toEqual({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });

    const me = await callApi(emulator, 'GETME');
    expect(me.body.result).toMatchObject({ id: emulator.botId, is_bot: true });
    expect(emulator.calls().map((call) => [call.method, call.errorCode])).toEqual([
      ['sendTelepathy', 404],
      ['getMe', undefined],
    ]);
  });

  it.each([
    ['no chat_id', { text: 'hi' }, 'Bad Request: chat_id is empty'],
    ['no text', { chat_id: ann.userId }, 'Bad Request: message text is empty'],
    ['blank text', { chat_id: ann.userId, text: '  \n ' }, 'Bad Request: message text is empty'],
    ['an unknown chat', { chat_id: 99_999, text: 'hi' }, 'Bad Request: chat not found'],
    ['a non-integer chat_id', { chat_id: 'abc', text: 'hi' }, 'Bad Request: field "chat_id" must be of type Integer'],
    ['text over 4096 characters', { chat_id: ann.userId, text: 'x'.repeat(4097) }, 'Bad Request: message is too long'],
    ['an unknown parse_mode', { chat_id: ann.userId, text: 'hi', parse_mode: 'BBCode' }, 'Bad Request: unsupported parse_mode'],
    [
      'broken HTML',
      { chat_id: ann.userId, text: '<b>hi', parse_mode: 'HTML' },
      'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"',
    ],
    [
      'callback_data over 64 bytes',
      { chat_id: ann.userId, text: 'hi', reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'd'.repeat(65) }]] } },
      'Bad Request: BUTTON_DATA_INVALID',
    ],
    [
      'an inline button without an action',
      { chat_id: ann.userId, text: 'hi', reply_markup: { inline_keyboard: [[{ text: 'x' }]] } },
      'Bad Request: text buttons are unallowed in the inline keyboard',
    ],
  ])('answers sendMessage with %s with 400 and sends nothing', async (_case, params, description) => {
    const answer = await callApi(emulator, 'sendMessage', params);
    expect(answer).toEqual({ status: 400, body: { ok: false, error_code: 400, description } });
    expect(emulator.sentMessages()).toEqual([]);
    expect(emulator.calls('sendMessage')).toMatchObject([{ ok: false, errorCode: 400 }]);
  });

  it('accepts a url-encoded form body, with JSON-valued fields as strings', async () => {
    const response = await fetch(`${emulator.apiRoot}/bot${emulator.token}/sendMessage`, {
      method: 'POST',
      body: new URLSearchParams({
        chat_id: String(ann.userId),
        text: 'Form *post*',
        parse_mode: 'MarkdownV2',
        reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'Open', url: 'https://example.org/' }]] }),
      }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await response.json()) as { ok: boolean; result: Message.TextMessage };
    expect(body.ok).toBe(true);
    expect(body.result).toMatchObject({ chat: { id: ann.userId, type: 'private' }, text: 'Form post', entities: [{ type: 'bold', offset: 5, length: 4 }] });
    expect(body.result.date).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(body.result.date).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it('answers 403 while the user has blocked the bot', async () => {
    emulator.setBotBlocked(ann.userId, true);
    const answer = await callApi(emulator, 'sendMessage', { chat_id: ann.userId, text: 'anyone there?' });
    expect(answer.body).toEqual({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    expect(emulator.sentMessages()).toEqual([]);
  });
});

describe('flood control', () => {
  it('is off by default: a burst to one chat goes through', async () => {
    emulator = await startBotApiEmulator();
    emulator.openChat(ann);
    for (let index = 0; index < 5; index += 1) {
      expect((await callApi(emulator, 'sendMessage', { chat_id: ann.userId, text: `burst ${index}` })).status).toBe(200);
    }
    expect(emulator.sentMessages(ann.userId)).toHaveLength(5);
  });

  it('answers 429 with retry_after over the per-chat limit when enabled', async () => {
    emulator = await startBotApiEmulator({ floodLimits: true });
    emulator.openChat(ann);
    emulator.openChat(bob);

    const first = await callApi(emulator, 'sendMessage', { chat_id: ann.userId, text: 'first' });
    const second = await callApi(emulator, 'sendMessage', { chat_id: ann.userId, text: 'second' });
    const otherChat = await callApi(emulator, 'sendMessage', { chat_id: bob.userId, text: 'other chat' });

    expect(first.status).toBe(200);
    expect(second).toEqual({
      status: 429,
      body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } },
    });
    expect(otherChat.status).toBe(200);
    expect(emulator.sentMessages().map((message) => message.text)).toEqual(['first', 'other chat']);
  });

  it('answers 429 over the global limit', async () => {
    emulator = await startBotApiEmulator({ floodLimits: { perChatPerSecond: 10, globalPerSecond: 2 } });
    const users = [ann, bob, { userId: 41_003 }];
    for (const user of users) emulator.openChat(user);
    const answers = [];
    for (const user of users) answers.push(await callApi(emulator, 'sendMessage', { chat_id: user.userId, text: 'hi' }));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.body.parameters).toEqual({ retry_after: 1 });
  });

  it('imposeFloodWait: of the matching calls, skips the first, refuses the next ones with retry_after and no effect, then lets them through', async () => {
    emulator = await startBotApiEmulator();
    emulator.openChat(ann);
    emulator.openChat(bob);
    emulator.imposeFloodWait({ method: 'sendmessage', chatId: ann.userId, retryAfterS: 7, skip: 1, count: 2 });

    const answers = [];
    for (const text of ['one', 'two', 'three', 'four']) answers.push(await callApi(emulator, 'sendMessage', { chat_id: ann.userId, text }));
    const otherChat = await callApi(emulator, 'sendMessage', { chat_id: bob.userId, text: 'other chat' });
    const otherMethod = await callApi(emulator, 'sendChatAction', { chat_id: ann.userId, action: 'typing' });

    expect(answers.map((answer) => answer.status)).toEqual([200, 429, 429, 200]);
    expect(answers[1]!.body).toEqual({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
    expect([otherChat.status, otherMethod.status]).toEqual([200, 200]);
    expect(emulator.sentMessages().map((message) => message.text)).toEqual(['one', 'four', 'other chat']);
    expect(emulator.calls('sendMessage').map((call) => call.errorCode ?? 200)).toEqual([200, 429, 429, 200, 200]);
    expect(() => emulator.imposeFloodWait({ retryAfterS: 0 })).toThrow(TestingError);
  });
});

describe('test API', () => {
  beforeEach(async () => {
    emulator = await startBotApiEmulator();
  });

  it('issues a token of the shape the services config accepts, and refuses a malformed one', async () => {
    expect(emulator.token).toMatch(BOT_TOKEN_PATTERN);
    expect(emulator.token.startsWith(`${emulator.botId}:`)).toBe(true);
    expect(emulator.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
    await expect(startBotApiEmulator({ token: 'not-a-token' })).rejects.toMatchObject({ code: TestingErrorCodes.invalidOption });
  });

  it('numbers messages per chat and lists what was sent when waitForMessage times out', async () => {
    emulator.openChat(ann);
    emulator.openChat(bob);
    const user = await emulator.sendMessage(ann, 'hello');
    const sent = [];
    for (const [chat, text] of [[ann.userId, 'to ann'], [bob.userId, 'to bob'], [ann.userId, 'to ann again']] as const) {
      sent.push((await callApi(emulator, 'sendMessage', { chat_id: chat, text })).body.result as Message);
    }
    expect(sent.map((message) => [message.chat.id, message.message_id])).toEqual([
      [ann.userId, user.message!.message_id + 1],
      [bob.userId, 1],
      [ann.userId, user.message!.message_id + 2],
    ]);

    const error = await emulator.waitForMessage((m) => m.text === 'never sent', { timeoutMs: 100 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TestingError);
    expect(error).toMatchObject({ code: TestingErrorCodes.timeout });
    expect((error as Error).message).toContain('the bot sent 3 message(s)');
    expect((error as Error).message).toContain(`chat ${bob.userId} #1 text: "to bob"`);
  });

  it('resolves waitForMessage with a message sent after the wait began, edits included', async () => {
    emulator.openChat(ann);
    const sent = (await callApi(emulator, 'sendMessage', { chat_id: ann.userId, text: 'Working…' })).body.result as Message;
    const waiting = emulator.waitForMessage((m) => m.text === 'Done', { timeoutMs: WAIT_MS });
    await callApi(emulator, 'editMessageText', { chat_id: ann.userId, message_id: sent.message_id, text: 'Done' });
    const done = await waiting;
    expect(done.messageId).toBe(sent.message_id);
    expect(done.history.map((version) => version.text)).toEqual(['Working…', 'Done']);

    const unchanged = await callApi(emulator, 'editMessageText', { chat_id: ann.userId, message_id: sent.message_id, text: 'Done' });
    expect(unchanged.body.description).toMatch(/^Bad Request: message is not modified/);
  });

  it('refuses user actions a real user could not take', async () => {
    await expect(emulator.sendMessage({ userId: 0 }, 'hi')).rejects.toMatchObject({ code: TestingErrorCodes.emulatorMisuse });
    await expect(emulator.sendMessage(ann, '')).rejects.toMatchObject({ code: TestingErrorCodes.emulatorMisuse });
    emulator.openChat(ann);
    const sent = (await callApi(emulator, 'sendMessage', {
      chat_id: ann.userId,
      text: 'Ann only',
      reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] },
    })).body.result as Message;
    const [message] = emulator.sentMessages(ann.userId);
    expect(message!.messageId).toBe(sent.message_id);
    await expect(emulator.pressButton(bob, message!, 'go')).rejects.toMatchObject({ code: TestingErrorCodes.emulatorMisuse });
    // A forged press of a button that is not there still reaches the bot, as a tampered client's would.
    const forged = await emulator.pressButton(ann, message!, 'admin:drain', { forged: true });
    expect(forged.callback_query?.data).toBe('admin:drain');
    expect(emulator.pendingUpdateCount()).toBe(1);
  });

  it('answers a held long poll and rejects waiters on close, then refuses further use', async () => {
    const poll = callApi(emulator, 'getUpdates', { timeout: 8 });
    await waitFor(() => emulator.calls('getUpdates').length === 1, { timeoutMs: WAIT_MS, description: 'the poll is held' });
    const waiting = emulator.waitForMessage(() => false, { timeoutMs: 30_000 }).catch((error: unknown) => error);

    await emulator.close();

    expect((await poll).body).toEqual({ ok: true, result: [] });
    expect(await waiting).toMatchObject({ code: TestingErrorCodes.emulatorClosed });
    await expect(emulator.sendMessage(ann, 'hello?')).rejects.toMatchObject({ code: TestingErrorCodes.emulatorClosed });
    await expect(fetch(`${emulator.apiRoot}/bot${emulator.token}/getMe`)).rejects.toThrow();
    await emulator.close();
  });

  it('keeps command lists per scope and language', async () => {
    const commands = [{ command: 'start', description: 'Start' }];
    expect((await callApi(emulator, 'setMyCommands', { commands, language_code: 'en' })).body.result).toBe(true);
    expect((await callApi(emulator, 'getMyCommands', { language_code: 'en' })).body.result).toEqual(commands);
    expect((await callApi(emulator, 'getMyCommands')).body.result).toEqual([]);
    const invalid = await callApi(emulator, 'setMyCommands', { commands: [{ command: 'Bad Command', description: 'x' }] });
    expect(invalid.body.description).toBe('Bad Request: BOT_COMMAND_INVALID');
  });

  it('answers sendChatAction and deleteMessage, and marks the deleted message', async () => {
    emulator.openChat(ann);
    const sent = (await callApi(emulator, 'sendMessage', { chat_id: ann.userId, text: 'short-lived' })).body.result as Message;
    expect((await callApi(emulator, 'sendChatAction', { chat_id: ann.userId, action: 'typing' })).body.result).toBe(true);
    expect((await callApi(emulator, 'sendChatAction', { chat_id: ann.userId, action: 'dancing' })).status).toBe(400);
    expect((await callApi(emulator, 'deleteMessage', { chat_id: ann.userId, message_id: sent.message_id })).body.result).toBe(true);
    expect(emulator.sentMessages(ann.userId)).toMatchObject([{ messageId: sent.message_id, deleted: true }]);
    const again = await callApi(emulator, 'deleteMessage', { chat_id: ann.userId, message_id: sent.message_id });
    expect(again.body.description).toBe('Bad Request: message to delete not found');
  });
});
