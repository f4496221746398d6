import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBotApiEmulator, startTcpFaultProxy, uniqueNamespace, waitFor, type BotApiEmulator, type TcpFaultProxy } from '@strongbox/shared-testing';
import { NotificationPriority } from '@strongbox/notify-data-access';
import { createDeliveryHarness, note, openChats, sequenceNumbers, takeChatIds, textsByChat, visibleCounts, type DeliveryHarness } from '../support/delivery.harness';

// Each answer Telegram can give, caused for real against the Bot API emulator (and, for 5xx and a
// lost answer, a front that answers 502 or a TCP proxy that stalls): 403 blocks the user and skips
// their later messages until the read model clears the flag; other 400s fail the message; 429 waits
// retry_after; 5xx is retried; 401/404 (a wrong token or API root) keep every message waiting until
// the configuration is fixed; a request whose answer never comes is unconfirmed and never sent
// again; a `sending` row found at start-up is unconfirmed once it is older than the stale limit.

let harness: DeliveryHarness;
let emulator: BotApiEmulator;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  harness = await createDeliveryHarness(uniqueNamespace('no'));
});

afterEach(async () => {
  await harness.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await emulator?.close();
});

const allSettled = (states: readonly string[] = ['delivered', 'blocked', 'failed', 'unconfirmed']) => async () =>
  (await harness.notifications()).every((row) => states.includes(row.state));

async function addRecipient(userId: string, chatId: number, blocked = false): Promise<void> {
  await harness.database.db.execute(
    sql`insert into recipients (user_id, chat_id, language_code, blocked_at) values (${userId}::uuid, ${chatId}, 'en', ${blocked ? sql`now()` : null})`,
  );
}

async function blockedAt(userId: string): Promise<unknown> {
  const rows = [...(await harness.database.db.execute(sql`select blocked_at from recipients where user_id = ${userId}::uuid`))];
  return rows[0]?.['blocked_at'] ?? null;
}

describe('Telegram answers', () => {
  it('403: the message is blocked, the user marked, their later messages skipped until the read model clears the mark', async () => {
    emulator = await startBotApiEmulator();
    const [blockedChat, otherChat] = takeChatIds(2) as [number, number];
    openChats(emulator, [blockedChat, otherChat]);
    emulator.setBotBlocked(blockedChat, true);
    const userId = '0190f3a4-5b6c-7d8e-9f00-000000000403';
    await addRecipient(userId, blockedChat);
    await harness.enqueue([1, 2, 3].map((n) => note(blockedChat, n, { userId, priority: NotificationPriority.money })));
    await harness.enqueue([note(otherChat, 1)]);
    const running = await harness.startWorker(emulator);
    await waitFor(allSettled(), { timeoutMs: 15_000, description: 'all settled' });

    const rows = await harness.notifications();
    expect(rows.filter((row) => row.chatId === BigInt(blockedChat)).map((row) => row.state)).toEqual(['blocked', 'blocked', 'blocked']);
    expect(rows.find((row) => row.chatId === BigInt(otherChat))?.state).toBe('delivered');
    expect(await blockedAt(userId)).not.toBeNull();
    // Only the first one was tried: the later two were skipped without a request.
    expect(emulator.calls('sendMessage').filter((call) => call.params['chat_id'] === blockedChat)).toHaveLength(1);
    expect(await running.metric('strongbox_notify_sent_total', { outcome: 'blocked' })).toBe(1);
    expect(await running.metric('strongbox_notify_sent_total', { outcome: 'skipped_blocked' })).toBe(2);

    // The user writes again: the read model clears the mark, and new messages go out.
    emulator.setBotBlocked(blockedChat, false);
    await harness.database.db.execute(sql`update recipients set blocked_at = null where user_id = ${userId}::uuid`);
    await harness.enqueue([note(blockedChat, 4, { userId })]);
    await waitFor(async () => emulator.sentMessages(blockedChat).length === 1, { timeoutMs: 10_000, description: 'delivered after unblocking' });
    expect(emulator.sentMessages(blockedChat)[0]?.rawText).toBe(`${blockedChat}#4`);
  });

  it('400: the message fails with Telegram’s description and a metric; other chats go on', async () => {
    emulator = await startBotApiEmulator();
    const [unknownChat, knownChat] = takeChatIds(2) as [number, number];
    openChats(emulator, [knownChat]);
    await harness.enqueue([note(unknownChat, 1), note(knownChat, 1), note(unknownChat, 2)]);
    const running = await harness.startWorker(emulator);
    await waitFor(allSettled(), { timeoutMs: 15_000, description: 'all settled' });

    const rows = await harness.notifications();
    const failed = rows.filter((row) => row.chatId === BigInt(unknownChat));
    expect(failed.map((row) => row.state)).toEqual(['failed', 'failed']);
    expect(failed[0]?.lastError).toContain('chat not found');
    expect(failed.every((row) => row.attempts === 1)).toBe(true);
    expect(rows.find((row) => row.chatId === BigInt(knownChat))?.state).toBe('delivered');
    expect(await running.metric('strongbox_notify_sent_total', { outcome: 'failed' })).toBe(2);
  });

  it('429: retry_after is honoured for the chat and the whole replica, and every message still arrives once, in order', async () => {
    // The emulator allows 1 per chat per second; the worker is configured for 4, so Telegram must refuse.
    emulator = await startBotApiEmulator({ floodLimits: { perChatPerSecond: 1, globalPerSecond: 1_000 } });
    const [chat] = takeChatIds(1) as [number];
    openChats(emulator, [chat]);
    await harness.enqueue([1, 2, 3, 4].map((n) => note(chat, n)));
    const running = await harness.startWorker(emulator, { chatRatePerSecond: 4, chatIntervalMarginMs: 0 });
    await waitFor(allSettled(['delivered']), { timeoutMs: 20_000, description: 'all delivered' });

    expect(sequenceNumbers(textsByChat(emulator).get(chat) ?? [])).toEqual([1, 2, 3, 4]);
    const calls = emulator.calls('sendMessage');
    const refusals = calls.filter((call) => call.errorCode === 429);
    expect(refusals.length).toBeGreaterThan(0);
    expect(await running.metric('strongbox_notify_http_429_total')).toBe(refusals.length);
    // After each refusal the next request came no sooner than retry_after (1 s here).
    for (const refusal of refusals) {
      const next = calls.find((call) => call.at > refusal.at);
      expect(next, 'a request after the refusal').toBeDefined();
      expect((next?.at ?? 0) - refusal.at).toBeGreaterThanOrEqual(1_000);
    }
  });

  it('5xx: retried with back-off until Telegram answers; nothing lost or doubled', async () => {
    emulator = await startBotApiEmulator();
    const chats = takeChatIds(3);
    openChats(emulator, chats);
    const front = await startFailingFront(emulator, 5);
    cleanups.push(front.close);
    await harness.enqueue(chats.flatMap((chat) => [note(chat, 1), note(chat, 2)]));
    const running = await harness.startWorker({ token: emulator.token, apiRoot: front.apiRoot });
    await waitFor(allSettled(['delivered']), { timeoutMs: 20_000, description: 'all delivered' });

    expect(front.refused()).toBe(5);
    expect(await running.metric('strongbox_notify_sent_total', { outcome: 'retry' })).toBe(5);
    const counts = visibleCounts(emulator);
    expect(counts.size).toBe(6);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    for (const chat of chats) expect(sequenceNumbers(textsByChat(emulator).get(chat) ?? [])).toEqual([1, 2]);
    expect((await harness.notifications()).some((row) => row.attempts > 1)).toBe(true);
  });

  it.each([
    { answer: '401 Unauthorized', misconfigure: (target: BotApiEmulator) => ({ token: wrongToken(target.token), apiRoot: target.apiRoot }) },
    { answer: '404 Not Found', misconfigure: (target: BotApiEmulator) => ({ token: target.token, apiRoot: new URL('/wrong-root/', target.apiRoot).href }) },
  ])(
    '$answer (wrong token or API root): nothing fails, every message waits with its attempts counted; once fixed, each arrives once, in order',
    async ({ answer, misconfigure }) => {
      emulator = await startBotApiEmulator();
      const chats = takeChatIds(3);
      openChats(emulator, chats);
      const perChat = [1, 2, 3];
      await harness.enqueue(chats.flatMap((chat) => perChat.map((n) => note(chat, n))));
      const retryDelayMsMax = 1_500;
      const misconfigured = await harness.startWorker(misconfigure(emulator), { retryDelayMsMax });
      // Each chat's first message refused, scheduled, and refused again after the delay: retried,
      // not given up on. (A message that settles instead ends the wait; the checks below say how.)
      const heads = new Set(chats.map((chat) => `${chat}:1`));
      await waitFor(
        async () => {
          const current = await harness.notifications();
          const settled = current.some((row) => row.state !== 'pending' && row.state !== 'sending');
          return settled || current.filter((row) => heads.has(row.id)).every((row) => row.attempts >= 2);
        },
        { timeoutMs: 15_000, description: 'every chat’s first message tried twice' },
      );
      await misconfigured.stop();

      const rows = await harness.notifications();
      expect(rows.map((row) => row.state)).toEqual(rows.map(() => 'pending'));
      for (const row of rows.filter((row) => heads.has(row.id))) {
        expect(row.lastError).toBe(answer);
        expect(row.attempts).toBeGreaterThanOrEqual(2);
      }
      // Later messages of a chat wait behind its first: never tried.
      expect(rows.filter((row) => !heads.has(row.id)).map((row) => row.attempts)).toEqual(rows.filter((row) => !heads.has(row.id)).map(() => 0));
      // The next attempt is scheduled retryDelayMsMax after the refusal was recorded (`now()` is the
      // recording transaction's start, `sent_at` a moment later).
      const schedule = [
        ...(await harness.database.db.execute(
          sql`select id, extract(epoch from (not_before - sent_at)) * 1000 as delay_ms from notifications where attempts > 0 order by id`,
        )),
      ];
      expect(schedule.map((row) => row['id'])).toEqual([...heads].sort());
      for (const row of schedule) {
        expect(Number(row['delay_ms'])).toBeLessThanOrEqual(retryDelayMsMax);
        expect(Number(row['delay_ms'])).toBeGreaterThan(retryDelayMsMax - 250);
      }
      expect(emulator.sentMessages()).toEqual([]);
      const attempts = rows.reduce((sum, row) => sum + row.attempts, 0);
      expect(await misconfigured.metric('strongbox_notify_sent_total', { outcome: 'retry' })).toBe(attempts);
      for (const outcome of ['failed', 'blocked', 'unconfirmed', 'delivered']) expect(await misconfigured.metric('strongbox_notify_sent_total', { outcome })).toBe(0);
      // Every refusal is an alert for the operator, at error level.
      const alerts = harness.logs.filter((line) => line['alert'] === true && line['error'] === answer);
      expect(alerts).toHaveLength(attempts);
      expect(alerts.every((line) => line['level'] === 50)).toBe(true);

      // Fixed: a worker with the right configuration, on the same queue.
      const fixed = await harness.startWorker(emulator);
      await waitFor(allSettled(['delivered']), { timeoutMs: 20_000, description: 'all delivered' });
      const counts = visibleCounts(emulator);
      expect(counts.size).toBe(chats.length * perChat.length);
      expect([...counts.values()].every((count) => count === 1)).toBe(true);
      for (const chat of chats) expect(sequenceNumbers(textsByChat(emulator).get(chat) ?? [])).toEqual(perChat);
      expect(await fixed.metric('strongbox_notify_sent_total', { outcome: 'retry' })).toBe(0);
    },
  );

  it('no answer after the request was written: unconfirmed, logged as an alert, never sent again; the chat goes on', async () => {
    emulator = await startBotApiEmulator();
    const [chat] = takeChatIds(1) as [number];
    openChats(emulator, [chat]);
    const apiRoot = new URL(emulator.apiRoot);
    const proxy: TcpFaultProxy = await startTcpFaultProxy({ host: apiRoot.hostname, port: Number(apiRoot.port) });
    cleanups.push(() => proxy.close());
    proxy.stall();
    await harness.enqueue([note(chat, 1), note(chat, 2)]);
    const running = await harness.startWorker({ token: emulator.token, apiRoot: `http://${proxy.host}:${proxy.port}` }, { requestTimeoutMs: 1_000 });
    await waitFor(async () => (await harness.notifications())[0]?.state === 'unconfirmed', { timeoutMs: 10_000, description: 'first unconfirmed' });
    proxy.restore();
    await waitFor(allSettled(), { timeoutMs: 15_000, description: 'all settled' });

    const rows = await harness.notifications();
    expect(rows.map((row) => row.state)).toEqual(['unconfirmed', 'delivered']);
    expect(rows[0]?.attempts).toBe(1);
    // Whether or not the stalled request reached Telegram in the end, it is visible at most once.
    expect(visibleCounts(emulator).get(`${chat}#1`) ?? 0).toBeLessThanOrEqual(1);
    expect(visibleCounts(emulator).get(`${chat}#2`)).toBe(1);
    expect(await running.metric('strongbox_notify_unconfirmed_total', { reason: 'timeout' })).toBe(1);
    expect(harness.logs.some((line) => line['alert'] === true && line['notificationId'] === `${chat}:1`)).toBe(true);
  });

  it('a sending row at start-up: unconfirmed once older than the stale limit (a live replica’s younger row is left alone until then), never sent', async () => {
    emulator = await startBotApiEmulator();
    const [oldChat, youngChat] = takeChatIds(2) as [number, number];
    openChats(emulator, [oldChat, youngChat]);
    await harness.enqueue([note(oldChat, 1), note(oldChat, 2), note(youngChat, 1), note(youngChat, 2)]);
    // As a process killed between its claim and recording the answer leaves them.
    await harness.database.db.execute(
      sql`update notifications set state = 'sending', attempts = 1, sent_at = now() - interval '1 hour' where id = ${`${oldChat}:1`}`,
    );
    await harness.database.db.execute(sql`update notifications set state = 'sending', attempts = 1, sent_at = now() where id = ${`${youngChat}:1`}`);
    const staleMs = 3_000;
    const startedMs = Date.now();
    const running = await harness.startWorker(emulator, { sendingStaleMs: staleMs, requestTimeoutMs: 1_000 });

    // The old one is swept before the first claim.
    expect((await harness.notifications()).find((row) => row.id === `${oldChat}:1`)?.state).toBe('unconfirmed');
    await waitFor(allSettled(), { timeoutMs: 15_000, description: 'all settled' });
    const rows = await harness.notifications();
    expect(rows.map((row) => [row.id, row.state])).toEqual([
      [`${oldChat}:1`, 'unconfirmed'],
      [`${oldChat}:2`, 'delivered'],
      [`${youngChat}:1`, 'unconfirmed'],
      [`${youngChat}:2`, 'delivered'],
    ]);
    // The young row's chat waited for the stale limit: its next message came after it.
    const youngSecond = emulator.sentMessages(youngChat)[0];
    expect((youngSecond?.sentAt ?? 0) - startedMs).toBeGreaterThanOrEqual(staleMs - 500);
    // Neither unconfirmed message was sent again.
    expect(visibleCounts(emulator).has(`${oldChat}#1`)).toBe(false);
    expect(visibleCounts(emulator).has(`${youngChat}#1`)).toBe(false);
    expect(await running.metric('strongbox_notify_unconfirmed_total', { reason: 'stale' })).toBe(2);
    expect(harness.logs.filter((line) => line['alert'] === true && typeof line['notificationId'] === 'string')).toHaveLength(2);
  });
});

/** A token of the right shape that is not the bot's: the last character changed. */
function wrongToken(token: string): string {
  return `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`;
}

/** A Bot API front that answers the first `failures` sendMessage calls with 502 and passes the rest to the emulator. */
async function startFailingFront(target: BotApiEmulator, failures: number) {
  let refused = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (refused < failures && (request.url ?? '').endsWith('/sendMessage')) {
        refused += 1;
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: false, error_code: 502, description: 'Bad Gateway' }));
        return;
      }
      void fetch(new URL(request.url ?? '/', target.apiRoot.replace(/\/$/, '') + '/'), {
        method: request.method ?? 'POST',
        headers: { 'content-type': request.headers['content-type'] ?? 'application/json' },
        body: Buffer.concat(chunks),
      }).then(async (answer) => {
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(await answer.text());
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
