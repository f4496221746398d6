// Proves the webhook's promise while NATS is down, with the real process and a private
// nats-server: killed, the webhook answers a POSTed update with 5xx within its time limit (so
// Telegram keeps it and re-sends), /readyz turns 503; once the server is back (same store) the
// re-sent update is answered 200, handled once and answered once, and updates stored before the
// outage are not handled again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateNats, waitFor, type PrivateServer } from '@strongbox/shared-testing';
import { messageUpdate, startGatewayIngressStack, type GatewayIngressStack } from '../support/gateway-ingress-stack';

const STORE_TIMEOUT_MS = 1_000;
let nats: PrivateServer;
let stack: GatewayIngressStack;

beforeAll(async () => {
  nats = await startPrivateNats({ jetstream: true });
  stack = await startGatewayIngressStack({
    mode: 'webhook',
    prefix: 'gwnats',
    natsUrl: nats.url,
    extraEnv: { TELEGRAM_WEBHOOK_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS) },
  });
}, 120_000);

afterAll(async () => {
  await stack?.teardown().catch(() => undefined);
  await nats?.stop();
}, 60_000);

async function readyzStatus(): Promise<number> {
  return (await fetch(`${stack.service.opsUrl}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
}

describe('bot-gateway webhook while NATS is down (real process, private nats-server)', () => {
  it('5xx within the time limit while NATS is away; after it returns the re-sent update is handled and answered once', async () => {
    const user = { userId: 5_200, languageCode: 'en' };
    stack.emulator.openChat(user);
    const before = messageUpdate(910_000, user, '/ping');
    expect(await stack.post(before)).toBe(200);
    await waitFor(() => stack.repliesTo(5_200, 910_000) === 1, { timeoutMs: 10_000, description: 'the pong before the outage' });

    await nats.kill();
    const update = messageUpdate(910_001, user, '/ping');
    const startedAt = Date.now();
    const status = await stack.post(update, { timeoutMs: 15_000 });
    const elapsedMs = Date.now() - startedAt;
    expect(status).toBeGreaterThanOrEqual(500);
    expect(elapsedMs).toBeLessThan(STORE_TIMEOUT_MS + 2_000);
    await waitFor(async () => (await readyzStatus()) === 503, { timeoutMs: 10_000, description: '/readyz 503 without NATS' });

    await nats.restart();
    // Telegram re-sends until it gets a 200.
    await waitFor(async () => (await stack.post(update, { timeoutMs: 5_000 })) === 200, {
      timeoutMs: 30_000,
      intervalMs: 250,
      description: 'a 200 once NATS is back',
    });
    await waitFor(() => stack.repliesTo(5_200, 910_001) >= 1, { timeoutMs: 20_000, description: 'the pong after the outage' });
    await waitFor(() => stack.idle('updates'), { timeoutMs: 20_000, intervalMs: 50, description: 'every ingress consumer idle' });
    await waitFor(async () => (await readyzStatus()) === 200, { timeoutMs: 20_000, description: '/readyz 200 again' });
    expect(stack.repliesTo(5_200, 910_001)).toBe(1);
    expect(stack.repliesTo(5_200, 910_000)).toBe(1);
    const marks = (await stack.inbox()).filter((row) => row.updateId === 910_000 || row.updateId === 910_001);
    expect(marks.map((row) => row.updateId).sort()).toEqual([910_000, 910_001]);
  }, 150_000);
});
