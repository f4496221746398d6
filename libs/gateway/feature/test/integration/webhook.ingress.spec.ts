// Proves the webhook ingress against the real NATS JetStream: a request without the right
// `X-Telegram-Bot-Api-Secret-Token` is answered 401 before its body is read and stores nothing;
// a body that is not a Telegram update is refused with a 4xx and stores nothing; one update POSTed
// five times (one after another, and at once) is answered 200 each time and stored once; while
// NATS cannot be reached (the connection cut by a fault proxy) the webhook answers 503 within its
// time limit, and once NATS is back the re-sent update is stored exactly once; the same when NATS
// hangs (the proxy stalls every byte) instead of refusing.
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { streamName, StreamBases } from '@strongbox/shared-contracts';
import { ensureStreams, standardStreams } from '@strongbox/shared-messaging';
import { startTcpFaultProxy, TEST_NATS_URL, uniqueNamespace, waitFor, type TcpFaultProxy } from '@strongbox/shared-testing';
import { createUpdateStore } from '../../src/update.store';
import { createWebhookIngress, WEBHOOK_BODY_BYTES_MAX, type WebhookIngress } from '../../src/webhook.ingress';
import { messageUpdate } from './ingress.fixtures';

const namespace = uniqueNamespace('gwhook');
const stream = streamName(namespace, StreamBases.tgUpdates);
const SECRET = 'webhook_secret-0123456789';
const STORE_TIMEOUT_MS = 500;
const WEBHOOK_TIMEOUT_MS = 1_000;
let proxy: TcpFaultProxy;
let direct: NatsConnection;
let viaProxy: NatsConnection;
let jsm: JetStreamManager;
let webhook: WebhookIngress;
let url: string;

beforeAll(async () => {
  const natsUrl = new URL(TEST_NATS_URL.replace(/^nats:/, 'http:'));
  proxy = await startTcpFaultProxy({ host: natsUrl.hostname, port: Number(natsUrl.port || 4222) });
  direct = await connect({ servers: TEST_NATS_URL });
  jsm = await jetstreamManager(direct);
  await ensureStreams(jsm, standardStreams(namespace));
  viaProxy = await connect({ servers: `${proxy.host}:${proxy.port}`, reconnectTimeWait: 100, maxReconnectAttempts: -1, pingInterval: 1_000 });
  webhook = createWebhookIngress({
    host: '127.0.0.1',
    port: 0,
    path: '/telegram/webhook',
    secret: SECRET,
    updates: createUpdateStore({ js: jetstream(viaProxy), namespace, partitions: 4, botId: 123456, timeoutMs: STORE_TIMEOUT_MS }),
    storeTimeoutMs: WEBHOOK_TIMEOUT_MS,
    logger: pino({ level: 'silent' }),
  });
  url = (await webhook.start()).url;
});

afterAll(async () => {
  await webhook?.close();
  await viaProxy?.close();
  for await (const name of jsm.streams.names()) if (name.startsWith(`${namespace.toUpperCase()}_`)) await jsm.streams.delete(name);
  await direct?.close();
  await proxy?.close();
});

async function storedCount(): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

async function post(body: string, headers: Record<string, string> = { 'x-telegram-bot-api-secret-token': SECRET }, target = url): Promise<Response> {
  return fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(10_000) });
}

describe('webhook secret (checked before the body)', () => {
  it.each([
    ['missing', {}],
    ['wrong', { 'x-telegram-bot-api-secret-token': 'webhook_secret-0123456788' }],
    ['a prefix of the secret', { 'x-telegram-bot-api-secret-token': 'webhook_secret' }],
    ['empty', { 'x-telegram-bot-api-secret-token': '' }],
  ])('%s secret: 401 and nothing stored', async (_name, headers) => {
    const before = await storedCount();
    const response = await post(JSON.stringify(messageUpdate(10, { userId: 1 }, '/ping')), headers);
    expect(response.status).toBe(401);
    expect(await storedCount()).toBe(before);
  });

  it('a wrong secret on any path is 401, so strangers learn nothing about the routes', async () => {
    const response = await post('{}', { 'x-telegram-bot-api-secret-token': 'nope' }, url.replace('/telegram/webhook', '/other'));
    expect(response.status).toBe(401);
  });
});

describe('update shape', () => {
  it.each([
    ['not JSON', '{"update_id": 1,', 400],
    ['update_id as a string', JSON.stringify({ update_id: '11', message: {} }), 400],
    ['negative update_id', JSON.stringify({ update_id: -1, message: {} }), 400],
    ['fractional update_id', JSON.stringify({ update_id: 1.5, message: {} }), 400],
    ['no update field', JSON.stringify({ update_id: 12 }), 400],
    ['update field not an object', JSON.stringify({ update_id: 13, message: 'hi' }), 400],
    ['an array', JSON.stringify([messageUpdate(14, { userId: 1 }, 'x')]), 400],
    ['over the body limit', JSON.stringify({ update_id: 15, message: { text: 'x'.repeat(WEBHOOK_BODY_BYTES_MAX) } }), 413],
  ])('%s: refused (4xx) and nothing stored', async (_name, body, status) => {
    const before = await storedCount();
    const response = await post(body);
    expect(response.status).toBe(status);
    expect(await storedCount()).toBe(before);
  });

  it('another content type: 415 and nothing stored', async () => {
    const before = await storedCount();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify(messageUpdate(16, { userId: 1 }, 'x')),
    });
    expect(response.status).toBe(415);
    expect(await storedCount()).toBe(before);
  });
});

describe('storing', () => {
  it('one update POSTed five times, then five times at once: every answer 200, stored once', async () => {
    const before = await storedCount();
    const body = JSON.stringify(messageUpdate(100, { userId: 42 }, '/ping'));
    for (let attempt = 0; attempt < 5; attempt += 1) expect((await post(body)).status).toBe(200);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => post(body)));
    expect(concurrent.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await storedCount()).toBe(before + 1);
    const stored = await jsm.streams.getMessage(stream, { last_by_subj: `${namespace}.tg.updates.${42 % 4}` });
    expect(stored?.json<{ update_id: number }>().update_id).toBe(100);
  });

  it('NATS cut: 503 within the time limit, nothing acknowledged; after recovery the re-sent update is stored once', async () => {
    const before = await storedCount();
    const body = JSON.stringify(messageUpdate(200, { userId: 43 }, '/ping'));
    await proxy.cut();
    try {
      const startedAt = Date.now();
      const response = await post(body);
      const elapsedMs = Date.now() - startedAt;
      expect(response.status).toBe(503);
      expect(elapsedMs).toBeLessThan(WEBHOOK_TIMEOUT_MS + 1_000);
    } finally {
      proxy.restore();
    }
    // Telegram re-sends until it gets a 200; the publish left in the client's buffer may also land.
    await waitFor(async () => (await post(body)).status === 200, { timeoutMs: 15_000, intervalMs: 200, description: 'a 200 after NATS is back' });
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await post(body)).status).toBe(200);
    expect(await storedCount()).toBe(before + 1);
  });

  it('NATS hung (nothing moves): 503 within the time limit; after recovery the re-sent update is stored once', async () => {
    const before = await storedCount();
    const body = JSON.stringify(messageUpdate(300, { userId: 44 }, '/ping'));
    proxy.stall();
    try {
      const startedAt = Date.now();
      const response = await post(body);
      expect(response.status).toBe(503);
      expect(Date.now() - startedAt).toBeLessThan(WEBHOOK_TIMEOUT_MS + 1_000);
    } finally {
      proxy.restore();
    }
    await waitFor(async () => (await post(body)).status === 200, { timeoutMs: 15_000, intervalMs: 200, description: 'a 200 after NATS is back' });
    expect(await post(body)).toHaveProperty('status', 200);
    expect(await storedCount()).toBe(before + 1);
  });
});
