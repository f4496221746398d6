import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { TestingError, TestingErrorCodes } from '../errors';

// Debian's Chromium (apt-get install chromium) driven by playwright-core, for browser tests of the
// web chat: headless, without a sandbox (containers run as root), and without anything that would
// reach the network on its own, in a fresh profile removed afterwards.

export const CHROMIUM_PATH_DEFAULT = '/usr/bin/chromium';
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LAUNCH_TIMEOUT_MS = 60_000;

export interface HeadlessChromium {
  readonly page: Page;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium (`CHROMIUM_PATH` or /usr/bin/chromium) with one page whose actions wait up to `actionTimeoutMs`. */
export async function launchHeadlessChromium(options: { executablePath?: string; actionTimeoutMs?: number } = {}): Promise<HeadlessChromium> {
  const executablePath = options.executablePath ?? process.env['CHROMIUM_PATH'] ?? CHROMIUM_PATH_DEFAULT;
  // Loaded on demand: every test imports this lib, few drive a browser.
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'sb-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: [...CHROMIUM_FLAGS], timeout: LAUNCH_TIMEOUT_MS });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new TestingError(TestingErrorCodes.serverStart, `Chromium did not start from ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`, { cause: error });
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(options.actionTimeoutMs ?? 15_000);
  return {
    page,
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
