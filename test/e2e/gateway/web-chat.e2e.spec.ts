// Proves the browser sandbox against the real bot: all five built services as processes (anvil, the
// Bot API emulator, the shared PostgreSQL and NATS), the web chat that `npm start` serves, and
// headless Debian Chromium driven by playwright-core. A person sends /start from the page and sees
// the welcome and the main menu with its inline buttons; clicking "Deposit" (a signed button) brings
// the deposit address as text and as a QR code photo that the page shows. Needs `npm run build`.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchHeadlessChromium, startWebChat, waitFor, type HeadlessChromium, type WebChat } from '@strongbox/shared-testing';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';

const UI_TIMEOUT_MS = 30_000;

let e2e: E2eStack;
let webChat: WebChat;
let browser: HeadlessChromium;
let page: Page;

beforeAll(async () => {
  e2e = await startE2eStack();
  webChat = await startWebChat({ emulator: e2e.emulator });
  browser = await launchHeadlessChromium({ actionTimeoutMs: UI_TIMEOUT_MS });
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await webChat?.close();
  await e2e?.teardown();
}, 60_000);

describe('web chat with the Strongbox bot', () => {
  it('/start, a press on the Deposit button, and the QR code photo', async () => {
    await page.goto(webChat.url);
    await page.fill('#user', '810001');
    await page.fill('#name', 'Ann');
    await page.fill('#text', '/start');
    await page.click('#send');

    await page
      .locator('.message.bot', { hasText: 'Welcome to Strongbox' })
      .first()
      .waitFor()
      .catch(async (error: unknown) => {
        // What the bot did instead, so a failure explains itself.
        const sent = e2e.emulator.sentMessages().map((message) => `${message.chatId}: ${message.text ?? message.caption ?? ''}`);
        const calls = e2e.emulator.calls().slice(-10).map((call) => `${call.method} ${call.ok}`);
        throw new Error(`no welcome in the page; page shows ${JSON.stringify(await page.locator('#log').innerText())}; bot sent ${JSON.stringify(sent)}; last calls ${JSON.stringify(calls)}`, { cause: error });
      });
    const menu = page.locator('.message.bot', { hasText: 'What would you like to do?' }).last();
    await menu.waitFor();
    expect(await menu.locator('button').count()).toBeGreaterThanOrEqual(8);

    // The chain-watcher assigns the address once the ledger has opened the wallet.
    await waitFor(async () => (await e2e.rows('chain-watcher', 'select address from %schema%.deposit_addresses')).length === 1, {
      timeoutMs: UI_TIMEOUT_MS,
      description: 'the deposit address assigned',
    });
    const [assigned] = await e2e.rows<{ address: string }>('chain-watcher', 'select address from %schema%.deposit_addresses');
    const answersBefore = e2e.emulator.callbackAnswers().length;
    await menu.locator('button', { hasText: 'Deposit' }).click();

    const photo = page.locator('.message.bot img.photo');
    await photo.waitFor();
    await page.waitForFunction("(() => { const image = document.querySelector('img.photo'); return image !== null && image.complete && image.naturalWidth > 0; })()", undefined, {
      timeout: UI_TIMEOUT_MS,
    });
    const width = await photo.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth);
    expect(width).toBe(512);
    const caption = await page.locator('.message.bot', { has: page.locator('img.photo') }).locator('.text').textContent();
    expect(caption?.toLowerCase()).toContain(assigned!.address.toLowerCase());
    expect(e2e.emulator.callbackAnswers().length).toBeGreaterThan(answersBefore);
  });
});
