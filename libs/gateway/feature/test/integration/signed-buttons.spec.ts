// Proves the signed buttons through the Bot API emulator with a real grammY bot, i18n (en, ru), the
// versioned session storage and the button_intents table: every press is answered; a confirm
// button pressed twice (two update ids) runs once and the second press is told "already done" with
// the stored outcome; forged, garbled and other users' callback data are refused with a translated
// alert and change nothing; a button from an older menu re-renders the current menu and runs
// nothing; a handler that fails gives its claim back so the redelivered press can run; a button
// older than the maximum age (the buttons' clock moved on) and a button of the old format are
// answered "expired" in the user's language with the current menu, and nothing runs or is claimed.
import { createHmac, randomBytes } from 'node:crypto';
import { Bot, Composer, InlineKeyboard, session, type Context, type SessionFlavor } from 'grammy';
import type { I18nFlavor } from '@grammyjs/i18n';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createI18n } from '@strongbox/shared-i18n';
import { startBotApiEmulator, waitFor, type BotApiEmulator, type EmulatedUser, type SentMessage } from '@strongbox/shared-testing';
import { BUTTON_MAX_AGE_MS_DEFAULT, createCallbackDataCodec, createSignedButtons, createVersionedSessionStorage, newIntentId, type SignedButtons } from '../../src/index';
import { freshGatewayDatabase, testLogger, type GatewayTestDatabase } from '../support/gateway.harness';

interface MenuSession {
  menuIntent?: string;
}
type TestContext = Context & SessionFlavor<MenuSession> & I18nFlavor;

const SECRET = 'signed-buttons-test-secret-0123456789abcdef';

let pg: GatewayTestDatabase;
let emulator: BotApiEmulator;
let bot: Bot<TestContext>;
let buttons: SignedButtons<TestContext>;
let polling: Promise<void>;
const confirmed: string[] = [];
let failNextConfirm = false;
/** How far the buttons' clock is ahead of the real one: moved past the maximum age to expire buttons. */
let clockAheadMs = 0;

async function showMenu(ctx: TestContext): Promise<void> {
  const intentId = buttons.newIntentId();
  ctx.session.menuIntent = intentId;
  await ctx.reply(`Menu ${intentId}`, {
    reply_markup: new InlineKeyboard()
      .text('Confirm', buttons.sign(ctx, { action: 'wd.confirm', intentId, payload: 'USDT:15' }))
      .text('Refresh', buttons.sign(ctx, { action: 'menu.refresh', intentId })),
  });
}

beforeAll(async () => {
  pg = await freshGatewayDatabase('gwb');
  emulator = await startBotApiEmulator();
  buttons = createSignedButtons<TestContext>({
    codec: createCallbackDataCodec(SECRET, { now: () => Date.now() + clockAheadMs }),
    db: pg.database.db,
    logger: testLogger,
    currentMenuIntent: (ctx) => ctx.session.menuIntent,
    renderCurrentMenu: showMenu,
  });
  buttons.onButton(
    'wd.confirm',
    { once: true, replay: async (ctx, outcome) => void (await ctx.reply(`Receipt ${(outcome as { ref: string }).ref}`)) },
    async (ctx, button) => {
      if (failNextConfirm) {
        failNextConfirm = false;
        throw new Error('ledger unreachable');
      }
      confirmed.push(`${ctx.from?.id}:${button.payload}`);
      const ref = `W-${confirmed.length}`;
      await ctx.reply(`Confirmed ${ref}`);
      return { ref };
    },
  );
  buttons.onButton('menu.refresh', { once: false }, async (ctx) => void (await ctx.reply('Refreshed')));

  bot = new Bot<TestContext>(emulator.token, { client: { apiRoot: emulator.apiRoot } });
  bot.use(session({ initial: (): MenuSession => ({}), storage: createVersionedSessionStorage<MenuSession>({ db: pg.database.db, redis: undefined, logger: testLogger }) }));
  bot.use(createI18n<TestContext>({ localeNegotiator: (ctx) => (ctx.from?.language_code === 'ru' ? 'ru' : 'en') }));
  bot.use(buttons.middleware());
  const menu = new Composer<TestContext>();
  menu.command('menu', showMenu);
  bot.use(menu);
  // A failing handler rethrows; in the service the update is then redelivered.
  bot.catch(() => undefined);
  await bot.init();
  polling = bot.start({ timeout: 1 });
});

afterAll(async () => {
  await bot?.stop();
  await polling?.catch(() => undefined);
  await emulator?.close();
  await pg?.dispose();
});

async function openMenu(user: EmulatedUser): Promise<SentMessage> {
  const before = emulator.sentMessages(user.userId).length;
  await emulator.sendMessage(user, '/menu');
  const menu = await waitFor(() => emulator.sentMessages(user.userId).slice(before).find((m) => m.text?.startsWith('Menu ')), {
    timeoutMs: 10_000,
    description: 'the menu',
  });
  // The session (current menu) is stored after the reply; wait for it so the next press sees it.
  const key = String(user.userId);
  await waitFor(async () => (await pg.sql`select value from sessions where key = ${key}`)[0]?.['value']?.menuIntent === menu.text?.slice(5), {
    timeoutMs: 10_000,
    description: 'the menu stored in the session',
  });
  return menu;
}

function callbackData(message: SentMessage, label: string): string {
  const keyboard = message.replyMarkup && 'inline_keyboard' in message.replyMarkup ? message.replyMarkup.inline_keyboard : [];
  const button = keyboard.flat().find((candidate) => candidate.text === label);
  if (!button || !('callback_data' in button) || !button.callback_data) throw new Error(`no ${label} button`);
  return button.callback_data;
}

/** Presses, waits for the answer to the query, and returns the bot's messages sent after the press. */
async function press(user: EmulatedUser, message: SentMessage, data: string, options: { forged?: boolean; expectMessages: number }): Promise<{ texts: string[]; answer: { text?: string } }> {
  const before = emulator.sentMessages(user.userId).length;
  const answersBefore = emulator.callbackAnswers().length;
  await emulator.pressButton(user, message, data, options.forged ? { forged: true } : {});
  const answer = await waitFor(() => emulator.callbackAnswers()[answersBefore], { timeoutMs: 10_000, description: 'the callback answer' });
  const texts = await waitFor(
    () => {
      const sent = emulator.sentMessages(user.userId).slice(before);
      return sent.length >= options.expectMessages ? sent.map((m) => m.text ?? '') : undefined;
    },
    { timeoutMs: 10_000, description: `${options.expectMessages} messages after the press` },
  );
  return { texts, answer: answer as { text?: string } };
}

/** Proves nothing more arrives: sends a probe command and checks its reply is the next message. */
async function expectQuiet(user: EmulatedUser): Promise<void> {
  const before = emulator.sentMessages(user.userId).length;
  await openMenu(user);
  expect(emulator.sentMessages(user.userId).slice(before).map((m) => m.text?.slice(0, 5))).toEqual(['Menu ']);
}

describe('signed buttons', () => {
  it('runs a confirm button once; a second press with a new update id is "already done" with the stored outcome', async () => {
    const user = { userId: 9_101, firstName: 'Ann', languageCode: 'en' };
    const menu = await openMenu(user);
    const data = callbackData(menu, 'Confirm');

    const first = await press(user, menu, data, { expectMessages: 1 });
    expect(first.texts).toEqual(['Confirmed W-1']);
    expect(first.answer.text).toBeUndefined();
    expect(confirmed.filter((entry) => entry.startsWith('9101:'))).toEqual(['9101:USDT:15']);

    const second = await press(user, menu, data, { expectMessages: 2 });
    expect(second.texts).toEqual(['Already done: this button was used before, nothing was changed.', 'Receipt W-1']);
    expect(confirmed.filter((entry) => entry.startsWith('9101:'))).toHaveLength(1);
    const rows = await pg.sql`select action, outcome, telegram_user_id from button_intents where intent_id = ${menu.text!.slice(5)}`;
    expect(rows).toEqual([{ action: 'wd.confirm', outcome: { value: { ref: 'W-1' } }, telegram_user_id: '9101' }]);
  });

  it.each([
    ['garbled data', (_data: string) => 'wd.confirm|not-signed|USDT:15|AAAAAAAAAAAAAAAA'],
    ['a changed payload', (data: string) => data.replace('USDT:15', 'USDT:99')],
    ['plain text', (_data: string) => 'give me money'],
  ])('refuses %s with a translated alert and changes nothing', async (_case, tamper) => {
    const user = { userId: 9_102 + _case.length, firstName: 'Bob', languageCode: 'ru' };
    const menu = await openMenu(user);
    const before = confirmed.length;
    const intentsBefore = (await pg.sql`select count(*)::int as n from button_intents`)[0]!['n'] as number;
    const answersBefore = emulator.callbackAnswers().length;
    await emulator.pressButton(user, menu, tamper(callbackData(menu, 'Confirm')), { forged: true });
    const answer = await waitFor(() => emulator.callbackAnswers()[answersBefore], { timeoutMs: 10_000, description: 'the callback answer' });
    expect(answer).toMatchObject({ text: 'Эта кнопка недействительна. Пожалуйста, используйте кнопки последнего меню.', showAlert: true });
    await expectQuiet(user);
    expect(confirmed.length).toBe(before);
    expect((await pg.sql`select count(*)::int as n from button_intents`)[0]!['n']).toBe(intentsBefore);
  });

  it("refuses another user's button data", async () => {
    const owner = { userId: 9_201, firstName: 'Owner', languageCode: 'en' };
    const thief = { userId: 9_202, firstName: 'Thief', languageCode: 'en' };
    const ownerMenu = await openMenu(owner);
    const thiefMenu = await openMenu(thief);
    const before = confirmed.length;
    const answersBefore = emulator.callbackAnswers().length;
    await emulator.pressButton(thief, thiefMenu, callbackData(ownerMenu, 'Confirm'), { forged: true });
    const answer = await waitFor(() => emulator.callbackAnswers()[answersBefore], { timeoutMs: 10_000, description: 'the callback answer' });
    expect(answer).toMatchObject({ text: 'This button is not valid. Please use the buttons of the latest menu.' });
    await expectQuiet(thief);
    expect(confirmed.length).toBe(before);
  });

  it('re-renders the current menu for a button of an older menu and runs nothing', async () => {
    const user = { userId: 9_301, firstName: 'Cid', languageCode: 'en' };
    const old = await openMenu(user);
    await openMenu(user);
    const before = confirmed.length;
    const result = await press(user, old, callbackData(old, 'Confirm'), { expectMessages: 2 });
    expect(result.texts[0]).toBe('This menu is out of date. Here is the current one.');
    expect(result.texts[1]).toMatch(/^Menu /);
    expect(confirmed.length).toBe(before);
    const refreshed = await press(user, old, callbackData(old, 'Refresh'), { expectMessages: 2 });
    expect(refreshed.texts[0]).toBe('This menu is out of date. Here is the current one.');
  });

  it('gives the claim back when the handler fails, so the retried press runs once', async () => {
    const user = { userId: 9_401, firstName: 'Dee', languageCode: 'en' };
    const menu = await openMenu(user);
    const data = callbackData(menu, 'Confirm');
    failNextConfirm = true;
    const answersBefore = emulator.callbackAnswers().length;
    await emulator.pressButton(user, menu, data);
    await waitFor(() => emulator.callbackAnswers()[answersBefore], { timeoutMs: 10_000, description: 'the callback answer' });
    await waitFor(async () => !failNextConfirm && (await pg.sql`select 1 from button_intents where intent_id = ${menu.text!.slice(5)}`).length === 0, {
      timeoutMs: 10_000,
      description: 'the failed press released its claim',
    });
    const retried = await press(user, menu, data, { expectMessages: 1 });
    expect(retried.texts[0]).toMatch(/^Confirmed W-\d+$/);
    expect(confirmed.filter((entry) => entry.startsWith('9401:'))).toHaveLength(1);
  });

  it.each([
    ['en', 'This button has expired and nothing was done. Here is the current menu; please start again from it.'],
    ['ru', 'Срок действия этой кнопки истёк, ничего не сделано. Вот текущее меню; пожалуйста, начните с него заново.'],
  ])('refuses a confirm button older than the maximum age (%s) with the current menu, running and claiming nothing', async (languageCode, expiredText) => {
    const user = { userId: languageCode === 'en' ? 9_501 : 9_502, firstName: 'Eve', languageCode };
    const menu = await openMenu(user);
    const before = confirmed.length;
    try {
      // A minute inside the maximum age the menu's buttons still work ...
      clockAheadMs = BUTTON_MAX_AGE_MS_DEFAULT - 60_000;
      expect((await press(user, menu, callbackData(menu, 'Refresh'), { expectMessages: 1 })).texts).toEqual(['Refreshed']);
      // ... a minute past it the confirm button is refused, and the current menu shown.
      clockAheadMs = BUTTON_MAX_AGE_MS_DEFAULT + 60_000;
      const result = await press(user, menu, callbackData(menu, 'Confirm'), { expectMessages: 2 });
      expect(result.answer.text).toBeUndefined();
      expect(result.texts[0]).toBe(expiredText);
      expect(result.texts[1]).toMatch(/^Menu /);
      expect(confirmed.length).toBe(before);
      expect(await pg.sql`select 1 from button_intents where intent_id = ${menu.text!.slice(5)}`).toHaveLength(0);
      // The menu shown instead is current and works.
      const current = emulator.sentMessages(user.userId).findLast((message) => message.text?.startsWith('Menu '));
      const key = String(user.userId);
      await waitFor(async () => (await pg.sql`select value from sessions where key = ${key}`)[0]?.['value']?.menuIntent === current?.text?.slice(5), {
        timeoutMs: 10_000,
        description: 'the new menu stored in the session',
      });
      const confirmedNow = await press(user, current!, callbackData(current!, 'Confirm'), { expectMessages: 1 });
      expect(confirmedNow.texts[0]).toMatch(/^Confirmed W-\d+$/);
      expect(confirmed.length).toBe(before + 1);
    } finally {
      clockAheadMs = 0;
    }
  });

  it('refuses a genuine button of the old format (before buttons carried their time) as expired, running nothing', async () => {
    const user = { userId: 9_601, firstName: 'Fay', languageCode: 'en' };
    const menu = await openMenu(user);
    const intentId = randomBytes(9).toString('base64url');
    const mac = createHmac('sha256', Buffer.from(SECRET)).update(`sb-button-v1\n${user.userId}\nwd.confirm\n${intentId}\nUSDT:15`).digest().subarray(0, 12);
    const before = confirmed.length;
    const result = await press(user, menu, `wd.confirm|${intentId}|USDT:15|${mac.toString('base64url')}`, { forged: true, expectMessages: 2 });
    expect(result.texts[0]).toBe('This button has expired and nothing was done. Here is the current menu; please start again from it.');
    expect(result.texts[1]).toMatch(/^Menu /);
    expect(confirmed.length).toBe(before);
  });

  it('answers every callback query', () => {
    const pressed = emulator.calls('answerCallbackQuery').length;
    expect(pressed).toBeGreaterThan(0);
    expect(emulator.callbackAnswers().length).toBe(pressed);
    expect(newIntentId()).toMatch(/^[A-Za-z0-9_-]{14}$/);
  });
});
