// Proves the web chat end to end in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real grammY bot long-polling the Bot API emulator: a person picks a
// user, sends /start and sees the bot's answer with inline buttons; clicking a button answers the
// query (the toast shows its text) and the bot's edit replaces the message; /photo brings a real PNG
// (a QR code) that the page loads from the emulator; a second user sees only their own chat.
import { Bot, InlineKeyboard, InputFile } from 'grammy';
import type { Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchHeadlessChromium, startBotApiEmulator, startWebChat, type BotApiEmulator, type HeadlessChromium, type WebChat } from '../../src/index';

const UI_TIMEOUT_MS = 15_000;

let emulator: BotApiEmulator;
let webChat: WebChat;
let bot: Bot;
let polling: Promise<void>;
let browser: HeadlessChromium;
let page: Page;

beforeAll(async () => {
  emulator = await startBotApiEmulator();
  bot = new Bot(emulator.token, { client: { apiRoot: emulator.apiRoot } });
  bot.command('start', (ctx) =>
    ctx.reply(`Welcome, ${ctx.from?.first_name ?? 'friend'}!`, {
      reply_markup: new InlineKeyboard().text('Balance', 'balance').url('Docs', 'https://example.org/docs'),
    }),
  );
  bot.callbackQuery('balance', async (ctx) => {
    await ctx.answerCallbackQuery({ text: 'Balance checked' });
    await ctx.editMessageText('Balance: 10.00 USDT', { reply_markup: new InlineKeyboard().text('Refresh', 'balance-refresh') });
  });
  bot.command('photo', async (ctx) => {
    const png = await QRCode.toBuffer('0x52908400098527886E0F7030069857D2E4169EE7', { type: 'png', width: 240 });
    await ctx.replyWithPhoto(new InputFile(png, 'address.png'), { caption: 'Your deposit address' });
  });
  await bot.init();
  polling = bot.start({ timeout: 1 });
  webChat = await startWebChat({ emulator });

  browser = await launchHeadlessChromium({ actionTimeoutMs: UI_TIMEOUT_MS });
  page = browser.page;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await bot?.stop();
  await polling?.catch(() => undefined);
  await webChat?.close();
  await emulator?.close();
});

async function send(text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#send');
}

describe('web chat in headless Chromium', () => {
  it('chats with the bot: /start, a button press with an edit, a photo', async () => {
    await page.goto(webChat.url);
    await page.fill('#user', '4242');
    await page.fill('#name', 'Ann');
    await send('/start');

    const welcome = page.locator('.message.bot', { hasText: 'Welcome, Ann!' });
    await welcome.waitFor();
    await expect(page.locator('.message.user', { hasText: '/start' }).count()).resolves.toBe(1);
    await expect(welcome.locator('a', { hasText: 'Docs' }).getAttribute('href')).resolves.toBe('https://example.org/docs');

    await welcome.locator('button', { hasText: 'Balance' }).click();
    await page.locator('#toast', { hasText: 'Balance checked' }).waitFor({ state: 'visible' });
    const edited = page.locator('.message.bot', { hasText: 'Balance: 10.00 USDT' });
    await edited.waitFor();
    await expect(edited.locator('.meta').textContent()).resolves.toContain('edited');
    await expect(edited.locator('button', { hasText: 'Refresh' }).count()).resolves.toBe(1);
    await expect(page.locator('.message.bot', { hasText: 'Welcome' }).count()).resolves.toBe(0);
    expect(emulator.callbackAnswers().map((answer) => answer.text)).toContain('Balance checked');

    await send('/photo');
    const photo = page.locator('.message.bot', { hasText: 'Your deposit address' }).locator('img.photo');
    await photo.waitFor();
    // Runs in the page (this project compiles without the DOM types, hence a string).
    await page.waitForFunction("(() => { const image = document.querySelector('img.photo'); return image !== null && image.complete && image.naturalWidth > 0; })()", undefined, {
      timeout: UI_TIMEOUT_MS,
    });
    const size = await photo.evaluate((image) => {
      const loaded = image as unknown as { naturalWidth: number; naturalHeight: number };
      return [loaded.naturalWidth, loaded.naturalHeight];
    });
    expect(size).toEqual([240, 240]);
  });

  it('shows each user only their own chat', async () => {
    await page.fill('#user', '4343');
    await page.dispatchEvent('#user', 'change');
    await send('/start');
    await page.locator('.message.bot', { hasText: 'Welcome, Ann!' }).waitFor();
    await expect(page.locator('.message').count()).resolves.toBe(2);
    await expect(page.locator('img.photo').count()).resolves.toBe(0);
  });

  it('refuses bad requests with a clear error and changes nothing', async () => {
    const before = emulator.sentMessages().length;
    const post = (path: string, body: string) => fetch(`${webChat.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const cases: [string, string, number, RegExp][] = [
      ['/api/send', 'not json', 400, /JSON object/],
      ['/api/send', JSON.stringify({ userId: -1, text: 'hi' }), 400, /userId/],
      ['/api/send', JSON.stringify({ userId: 1, text: '' }), 400, /text/],
      ['/api/send', JSON.stringify({ userId: 1, text: 'x'.repeat(4_097) }), 400, /text/],
      ['/api/press', JSON.stringify({ userId: 4242, messageId: 999, callbackData: 'balance' }), 404, /no such message/],
    ];
    for (const [path, body, status, error] of cases) {
      const response = await post(path, body);
      expect(response.status, `${path} ${body.slice(0, 40)}`).toBe(status);
      expect(((await response.json()) as { error: string }).error).toMatch(error);
    }
    expect((await fetch(`${webChat.url}/api/files/unknown`)).status).toBe(404);
    expect(emulator.sentMessages().length).toBe(before);
  });
});
