// Proves the bot-gateway's Telegram ingress as the real process against the real NATS,
// PostgreSQL and the Bot API emulator: the service sets its webhook with the secret at start and
// answers a user's /ping delivered by the emulator; one update POSTed five times is handled once
// (one inbox mark, one reply); /start POSTed five times registers once (one user row, one
// registered event) and answers once; a copy stored again past the stream's duplicate window
// (another msgID) changes nothing; a wrong or missing secret is 401 and stores nothing; a poison update is
// retried, dead-lettered and answered with exactly one apology in the user's language; a /start
// whose second reply Telegram refuses with 429 retry_after=1 has that one call repeated after the
// wait (each message once, one registration, no re-run); and long-polling mode still carries a
// /ping to its reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createI18n } from '@strongbox/shared-i18n';
import { waitFor } from '@strongbox/shared-testing';
import { telegramUpdateSubject } from '@strongbox/shared-contracts';
import { messageUpdate, startGatewayIngressStack, type GatewayIngressStack } from '../support/gateway-ingress-stack';

const i18n = createI18n();
const pong = (locale: 'en' | 'ru') => i18n.t(locale, 'gateway-system-pong');
let stack: GatewayIngressStack;

beforeAll(async () => {
  stack = await startGatewayIngressStack({ mode: 'webhook', prefix: 'gwingress' });
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
}, 60_000);

async function settled(): Promise<void> {
  await waitFor(() => stack.idle('updates'), { timeoutMs: 20_000, intervalMs: 50, description: 'every ingress consumer idle' });
}

describe('bot-gateway webhook ingress (real process)', () => {
  it('Telegram (the emulator) delivers a user\'s /ping to the webhook with the secret; the bot answers', async () => {
    expect(stack.emulator.webhook()).toEqual({ url: stack.webhookUrl, secretToken: stack.secret });
    const update = await stack.emulator.sendMessage({ userId: 5_000, languageCode: 'ru' }, '/ping');
    const reply = await stack.emulator.waitForMessage((message) => message.chatId === 5_000, { timeoutMs: 10_000 });
    expect(reply.text).toBe(pong('ru'));
    await settled();
    expect((await stack.inbox()).filter((row) => row.updateId === update.update_id)).toHaveLength(1);
  });

  it('the same update POSTed five times: five 200s, one inbox mark, one reply', async () => {
    const user = { userId: 5_001, languageCode: 'en' };
    stack.emulator.openChat(user);
    const update = messageUpdate(900_001, user, '/ping');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) statuses.push(await stack.post(update));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    await waitFor(() => stack.repliesTo(5_001, 900_001) >= 1, { timeoutMs: 10_000, description: 'the pong' });
    await settled();
    expect(stack.repliesTo(5_001, 900_001)).toBe(1);
    expect((await stack.inbox()).filter((row) => row.updateId === 900_001)).toHaveLength(1);
  });

  it('/start POSTed five times registers the user once (one row, one registered event) and answers once', async () => {
    const user = { userId: 5_010, languageCode: 'en' };
    stack.emulator.openChat(user);
    const update = messageUpdate(900_010, user, '/start');
    expect(await stack.post(update)).toBe(200);
    await waitFor(() => stack.emulator.sentMessages(5_010).length > 0, { timeoutMs: 15_000, description: 'the answer to /start' });
    await settled();
    const answered = stack.emulator.sentMessages(5_010).length;
    for (let attempt = 0; attempt < 4; attempt += 1) expect(await stack.post(update)).toBe(200);
    await settled();
    expect(stack.emulator.sentMessages(5_010)).toHaveLength(answered);
    const [users] = await stack.sql<Array<{ count: string }>>`select count(*)::text as count from users where telegram_user_id = ${5_010}`;
    expect(users?.count).toBe('1');
    const [events] = await stack.sql<Array<{ count: string }>>`
      select count(*)::text as count from outbox where subject like ${'%.bot.evt.user.registered.v1'} and event->'data'->>'telegramUserId' = ${'5010'}`;
    expect(events?.count).toBe('1');
  });

  it('a copy stored past the duplicate window (another msgID) is a no-op thanks to the inbox', async () => {
    const user = { userId: 5_002 };
    stack.emulator.openChat(user);
    const update = messageUpdate(900_002, user, '/ping');
    expect(await stack.post(update)).toBe(200);
    await waitFor(() => stack.repliesTo(5_002, 900_002) === 1, { timeoutMs: 10_000, description: 'the first pong' });
    const subject = telegramUpdateSubject(stack.namespace, 5_002 % stack.partitions);
    const ack = await stack.js.publish(subject, JSON.stringify(update), { msgID: 'as-if-a-day-later:900002' });
    expect(ack.duplicate).toBe(false);
    await settled();
    expect(stack.repliesTo(5_002, 900_002)).toBe(1);
    expect((await stack.inbox()).filter((row) => row.updateId === 900_002)).toHaveLength(1);
  });

  it('/start whose second reply gets 429 retry_after=1: that call is repeated after ≥ 1 s, every message goes out once, the update runs once', async () => {
    const user = { userId: 5_020, languageCode: 'en' };
    stack.emulator.openChat(user);
    stack.emulator.imposeFloodWait({ method: 'sendMessage', chatId: user.userId, retryAfterS: 1, skip: 1 });
    expect(await stack.post(messageUpdate(900_020, user, '/start'))).toBe(200);
    await waitFor(async () => (await stack.inbox()).some((row) => row.updateId === 900_020), { timeoutMs: 15_000, description: 'the /start handled' });
    await settled();

    // A re-run of the update would have registered anew and sent a second (different) recovery code.
    expect(stack.emulator.sentMessages(5_020).map((message) => message.text)).toEqual([
      expect.stringContaining(i18n.t('en', 'start-recovery-code', { code: '' }).split('\n')[0]!.trim()),
      i18n.t('en', 'language-choose'),
      i18n.t('en', 'menu-title'),
    ]);
    const sends = stack.emulator.calls('sendMessage').filter((call) => Number(call.params['chat_id']) === 5_020);
    expect(sends.map((call) => call.errorCode ?? 'ok')).toEqual(['ok', 429, 'ok', 'ok']);
    expect(sends[2]!.at - sends[1]!.at).toBeGreaterThanOrEqual(1_000);
    expect(sends[2]!.params['text']).toBe(sends[1]!.params['text']);
    const [users] = await stack.sql<Array<{ count: string }>>`select count(*)::text as count from users where telegram_user_id = ${5_020}`;
    expect(users?.count).toBe('1');
    expect((await stack.deadLetters()).filter((letter) => letter.updateId === 900_020)).toEqual([]);
  });

  it.each([
    ['missing', null],
    ['wrong', 'not-the-secret'],
  ])('%s secret: 401, nothing stored, nothing handled', async (_name, secret) => {
    const user = { userId: 5_003 };
    stack.emulator.openChat(user);
    const before = await stack.storedUpdates();
    expect(await stack.post(messageUpdate(900_003, user, '/ping'), { secret })).toBe(401);
    expect(await stack.storedUpdates()).toBe(before);
    await settled();
    expect(stack.repliesTo(5_003, 900_003)).toBe(0);
    expect((await stack.inbox()).filter((row) => row.updateId === 900_003)).toHaveLength(0);
  });

  it('a poison update (a message without its chat: the reply cannot be sent) is dead-lettered after its retries, and the user gets one apology in Telegram\'s language', async () => {
    const user = { userId: 5_004, languageCode: 'ru' };
    stack.emulator.openChat(user);
    expect(await stack.post(messageUpdate(900_004, user, '/ping', { withoutChat: true }))).toBe(200);
    const apology = await stack.emulator.waitForMessage((message) => message.chatId === 5_004, { timeoutMs: 30_000 });
    expect(apology.text).toBe(i18n.t('ru', 'gateway-system-apology'));
    const letters = await stack.deadLetters();
    expect(letters).toEqual([{ subject: `${stack.namespace}.dlq.bot-gateway-handle-on-tg-update-p${5_004 % stack.partitions}`, updateId: 900_004 }]);
    await waitFor(() => stack.idle('deadLetters'), { timeoutMs: 20_000, intervalMs: 50, description: 'apology consumers idle' });
    await settled();
    expect(stack.emulator.sentMessages(5_004)).toHaveLength(1);
    // The update itself was never marked handled; its apology was, once.
    expect((await stack.inbox()).filter((row) => row.updateId === 900_004)).toHaveLength(0);
    expect((await stack.inbox('bot-gateway-apologize-on-tg-update-dead-letter')).filter((row) => row.updateId === 900_004)).toHaveLength(1);
    // The chat's next update is handled normally: the poison no longer blocks its partition.
    expect(await stack.post(messageUpdate(900_005, user, '/ping'))).toBe(200);
    await waitFor(() => stack.repliesTo(5_004, 900_005) === 1, { timeoutMs: 10_000, description: 'the pong after the poison' });
  });
});

describe('bot-gateway long-polling ingress (real process)', () => {
  let polling: GatewayIngressStack | undefined;
  afterAll(async () => {
    await polling?.teardown();
  }, 60_000);

  it('a /ping fetched by getUpdates is stored, handled and answered', async () => {
    polling = await startGatewayIngressStack({ mode: 'polling', prefix: 'gwpoll' });
    const update = await polling.emulator.sendMessage({ userId: 5_100, languageCode: 'en' }, '/ping');
    const reply = await polling.emulator.waitForMessage((message) => message.chatId === 5_100, { timeoutMs: 15_000 });
    expect(reply.text).toBe(pong('en'));
    await waitFor(async () => (await polling!.inbox()).some((row) => row.updateId === update.update_id), { timeoutMs: 10_000, description: 'the inbox mark' });
    expect(polling.emulator.webhook()).toBeNull();
  }, 120_000);
});
