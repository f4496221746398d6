// Proves that setWebhook is retried until Telegram takes it: with the Bot API unreachable (the
// connection cut by a fault proxy) the registration reports failures and no webhook exists; once
// the API is reachable the webhook is set with its URL and secret and the status says so.
import { Bot } from 'grammy';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBotApiEmulator, startTcpFaultProxy, waitFor, type BotApiEmulator, type TcpFaultProxy } from '@strongbox/shared-testing';
import { registerWebhook, type WebhookRegistration } from '../../src/webhook.registration';

let emulator: BotApiEmulator;
let proxy: TcpFaultProxy;
let registration: WebhookRegistration | undefined;

beforeAll(async () => {
  emulator = await startBotApiEmulator();
  proxy = await startTcpFaultProxy({ host: '127.0.0.1', port: Number(new URL(emulator.apiRoot).port) });
});

afterAll(async () => {
  await registration?.stop();
  await proxy?.close();
  await emulator?.close();
});

describe('registerWebhook', () => {
  it('retries while Telegram is unreachable and sets the webhook with its secret once it is back', async () => {
    const bot = new Bot(emulator.token, { client: { apiRoot: `http://${proxy.host}:${proxy.port}`, timeoutSeconds: 2 } });
    proxy.cut();
    registration = registerWebhook({
      api: bot.api,
      url: 'https://bot.example.com/telegram/webhook',
      secret: 'registration_secret_0123456789',
      maxConnections: 40,
      logger: pino({ level: 'silent' }),
    });
    await waitFor(() => registration!.status().consecutiveErrors >= 2, { timeoutMs: 10_000, description: 'two failed attempts' });
    expect(registration.status().registered).toBe(false);
    expect(emulator.webhook()).toBeNull();

    proxy.restore();
    await waitFor(() => registration!.status().registered, { timeoutMs: 20_000, description: 'the webhook registered' });
    expect(emulator.webhook()).toEqual({ url: 'https://bot.example.com/telegram/webhook', secretToken: 'registration_secret_0123456789' });
    expect(registration.status().consecutiveErrors).toBe(0);
  });
});
