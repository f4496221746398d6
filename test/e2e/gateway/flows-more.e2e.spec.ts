// The bot's remaining flows end to end, with all five services as real processes, anvil and the Bot
// API emulator: the localized command lists; referral link and stats (a friend registered with the
// link and whose real deposit pays the reward); internal transfer and savings plans in Russian (bad
// codes and amounts refused with their own translated message and nothing moved, the emergency stop,
// confirm pressed twice moves money once); support in English (category buttons, bad description
// and contact, my requests, cancel once, a resolved request cannot be cancelled, a forged cancel is
// refused); account recovery (/recover from a new account: invalid code, request filed, a second
// account conflicts, a registered account is told so; /recovery_code replaces the code).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { blacklistUserV1, changeSupportStatusV1, disablePlanV1, getBalanceV1, getDepositAddressV1, publishPlanV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { createCommandClient, Flags, setFlag, type CommandClient } from '@strongbox/shared-messaging';
import { ANVIL_SECOND_PRIVATE_KEY } from '@strongbox/shared-stack';
import { TEST_NATS_URL, waitFor, type EmulatedUser, type SentMessage } from '@strongbox/shared-testing';
import { botChat, type BotChat } from '../support/bot-chat';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';

const USDT = 1_000_000n;
const CONFIRMATIONS = 12;
const REWARD = 2n * USDT;
const ADMIN_ID = '0190a000-0000-7000-8000-00000000ad07';

let e2e: E2eStack;
let chat: BotChat;
const lastMessageId = (chatId: number) => chat.lastMessageId(chatId);
const say = (user: EmulatedUser, text: string, pattern: RegExp) => chat.say(user, text, pattern);
const buttonData = (message: SentMessage, label: RegExp) => chat.buttonData(message, label);
const press = (user: EmulatedUser, message: SentMessage, label: RegExp, pattern: RegExp) => chat.press(user, message, label, pattern);
let nc: NatsConnection;
let commands: CommandClient;

beforeAll(async () => {
  e2e = await startE2eStack({
    extraEnv: {
      ledger: { LEDGER_REFERRAL_REWARD_MINOR: REWARD.toString() },
      // The dialogs below send many messages quickly; the flood limit has its own tests.
      // Redeliveries 2, 8, 20 and 60 s apart: room for the ledger to restart in the outage test.
      'bot-gateway': { BOT_FLOOD_UPDATES_MAX: '1000', TELEGRAM_UPDATE_RETRY_DELAY_MS: '2000' },
    },
  });
  chat = botChat(e2e.emulator);
  nc = await connect({ servers: TEST_NATS_URL });
  commands = createCommandClient(nc, { namespace: e2e.namespace, timeoutMs: 5_000 });
  const plan = { adminId: ADMIN_ID, version: 1, asset: 'USDT', minAmount: String(USDT), maxAmount: String(1_000n * USDT) };
  await commands.call(publishPlanV1, { ...plan, code: 'flex-30', rateBps: 450, termDays: 30 });
  await commands.call(publishPlanV1, { ...plan, code: 'locked-90', rateBps: 1_200, termDays: 90 });
  await commands.call(disablePlanV1, { code: 'locked-90', disabledUntil: new Date(Date.now() + 86_400_000).toISOString() });
}, 180_000);

afterAll(async () => {
  await nc?.close();
  await e2e?.teardown();
}, 60_000);


/**
 * Rows of a query once it returns any: a reply is sent inside the update's transaction, so what the
 * update wrote is visible only moments after the reply arrives.
 */
async function committedRows<T extends Record<string, unknown>>(query: string, params: readonly unknown[] = []): Promise<T[]> {
  let rows: T[] = [];
  await waitFor(
    async () => {
      rows = await e2e.rows<T>('bot-gateway', query, params);
      return rows.length > 0;
    },
    { timeoutMs: 10_000, intervalMs: 50, description: `rows of ${query}` },
  );
  return rows;
}

async function userIdOf(telegramUserId: number): Promise<string> {
  const [row] = await committedRows<{ id: string }>('select id from %schema%.users where telegram_user_id = $1', [telegramUserId]);
  return row?.id ?? '';
}

async function balance(userId: string): Promise<{ available: bigint; locked: bigint }> {
  const answer = await commands.call(getBalanceV1, { userId, asset: 'USDT' });
  return { available: BigInt(answer.available), locked: BigInt(answer.locked) };
}

async function mine(blocks: number): Promise<void> {
  await fetch(e2e.anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: [`0x${blocks.toString(16)}`] }),
  });
}

/** A real token transfer to the user's deposit address, confirmed and credited. */
async function fund(userId: string, amount: bigint): Promise<void> {
  let address = '';
  await waitFor(
    async () => {
      address = await commands.call(getDepositAddressV1, { userId }).then(
        (answer) => answer.address,
        () => '',
      );
      return address !== '';
    },
    { timeoutMs: 30_000, intervalMs: 250, description: 'deposit address assigned' },
  );
  const before = (await balance(userId)).available;
  await e2e.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, address, amount);
  await mine(CONFIRMATIONS);
  await waitFor(async () => (await balance(userId)).available === before + amount, { timeoutMs: 60_000, intervalMs: 250, description: 'deposit credited' });
}

async function transferCount(): Promise<number> {
  const [row] = await e2e.rows<{ count: number }>('ledger', "select count(*)::int as count from %schema%.transfers where code = 'internal_transfer'");
  return row?.count ?? -1;
}

const ann: EmulatedUser = { userId: 740_001, firstName: 'Ann', languageCode: 'en' };
const boris: EmulatedUser = { userId: 740_002, firstName: 'Борис', languageCode: 'ru' };
const annAgain: EmulatedUser = { userId: 740_003, firstName: 'Ann (new phone)', languageCode: 'en' };
const stranger: EmulatedUser = { userId: 740_004, firstName: 'Eve', languageCode: 'en' };
const carl: EmulatedUser = { userId: 740_005, firstName: 'Carl', languageCode: 'en' };
const RECOVERY_CODE = /[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}/;

let annId: string;
let borisId: string;
let annCode: string;
let annRecoveryCode: string;

describe('bot flows: commands, referral, transfer, plans, support, recovery', () => {
  it('sets the command list in English by default and in Russian for Russian clients', async () => {
    await waitFor(() => e2e.emulator.calls('setMyCommands').filter((call) => call.ok).length >= 2, { timeoutMs: 15_000, description: 'command lists set' });
    const calls = e2e.emulator.calls('setMyCommands');
    const list = (languageCode: string | undefined) => {
      const call = calls.find((candidate) => candidate.params['language_code'] === languageCode);
      const raw = call?.params['commands'];
      return (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ command: string; description: string }>;
    };
    const english = list(undefined);
    const russian = list('ru');
    expect(english.map((entry) => entry.command)).toEqual(expect.arrayContaining(['start', 'transfer', 'plans', 'referral', 'support', 'recover']));
    expect(english.find((entry) => entry.command === 'support')?.description).toBe('Support');
    expect(russian.find((entry) => entry.command === 'support')?.description).toBe('Поддержка');
    expect(russian.map((entry) => entry.command)).toEqual(english.map((entry) => entry.command));
  });

  it('shows the referral link and wallet code; a friend registered with it and depositing pays the reward', async () => {
    const code = await say(ann, '/start', /recovery code/);
    annRecoveryCode = code.text?.match(RECOVERY_CODE)?.[0] ?? '';
    expect(annRecoveryCode).not.toBe('');
    annId = await userIdOf(ann.userId);

    const info = await say(ann, '/referral', /Invite friends with your link/);
    const link = info.text?.match(/https:\/\/t\.me\/\w+\?start=([A-Za-z0-9_-]{9})/);
    expect(link).not.toBeNull();
    annCode = link?.[1] ?? '';
    expect(info.text).toContain(`Your wallet code: ${annCode}`);
    expect(info.text).toContain('You get 2 USDT');
    expect(info.text).toContain('Friends invited: 0. Rewards received: 0 USDT.');

    await say(boris, `/start ${annCode}`, /код восстановления/);
    borisId = await userIdOf(boris.userId);
    const [registered] = await e2e.rows<{ referrer_user_id: string }>('bot-gateway', 'select referrer_user_id from %schema%.users where id = $1', [borisId]);
    expect(registered?.referrer_user_id).toBe(annId);

    await fund(borisId, 50n * USDT);
    await waitFor(async () => (await balance(annId)).available === REWARD, { timeoutMs: 30_000, intervalMs: 250, description: 'referral reward paid' });
    const stats = await say(ann, '/referral', /Friends invited/);
    expect(stats.text).toContain('Friends invited: 1. Rewards received: 2 USDT.');
  });

  it('refuses bad wallet codes and amounts in Russian and moves nothing', async () => {
    const before = await transferCount();
    await say(boris, '/transfer', /Отправьте код кошелька получателя/);
    const codes: Array<[string, RegExp]> = [
      ['   ', /^Отправьте код кошелька получателя\.$/],
      ['abc', /Код кошелька — 9 символов/],
      ['-5', /Код кошелька — 9 символов/],
      ['x'.repeat(4_000), /Код кошелька — 9 символов/],
      ['AAAAAAAAA', /Кошелька с таким кодом нет/],
    ];
    for (const [text, expected] of codes) await say(boris, text, expected);
    const [own] = await e2e.rows<{ own_referral_code: string }>('bot-gateway', 'select own_referral_code from %schema%.users where id = $1', [borisId]);
    await say(boris, own?.own_referral_code ?? '?', /Это ваш собственный кошелёк/);
    await say(boris, annCode, /Сколько USDT отправить\? Доступно: 50 USDT/);
    const amounts: Array<[string, RegExp]> = [
      ['   ', /Отправьте сумму, например 12.5/],
      ['-5', /Сумма должна быть положительной/],
      ['1e3', /Напишите число полностью/],
      ['0.0000001', /не больше 6 знаков после точки/],
      ['١٢', /Используйте цифры 0-9/],
      ['1,000', /Дробную часть отделяйте точкой/],
      ['x'.repeat(4_000), /Слишком длинно/],
      ['51', /Недостаточно средств: доступно 50 USDT/],
    ];
    for (const [text, expected] of amounts) await say(boris, text, expected);
    await say(boris, '/cancel', /Отменено/);
    expect(await transferCount()).toBe(before);
    expect((await balance(borisId)).available).toBe(50n * USDT);
  });

  it('transfers once in Russian however often confirm is pressed, and refuses during the emergency stop', async () => {
    await setFlag(nc, e2e.namespace, Flags.emergencyStop, { on: true, reason: 'e2e drill', setBy: 'e2e' });
    try {
      await waitFor(async () => /остановлены/.test((await say(boris, '/transfer', /Переводы сейчас остановлены|Отправьте код кошелька/)).text ?? ''), {
        timeoutMs: 15_000,
        intervalMs: 300,
        description: 'emergency stop seen by the gateway',
      });
    } finally {
      await setFlag(nc, e2e.namespace, Flags.emergencyStop, { on: false, reason: 'drill over', setBy: 'e2e' });
    }
    await waitFor(async () => /Отправьте код кошелька/.test((await say(boris, '/transfer', /Переводы сейчас остановлены|Отправьте код кошелька/)).text ?? ''), {
      timeoutMs: 15_000,
      intervalMs: 300,
      description: 'emergency stop lifted',
    });
    await say(boris, annCode, /Сколько USDT отправить/);
    const confirmation = await say(boris, '5', new RegExp(`Отправить 5 USDT на кошелёк ${annCode}\\?`));
    const before = await transferCount();
    await press(boris, confirmation, /Подтвердить/, new RegExp(`Отправлено 5 USDT на кошелёк ${annCode}`));
    await press(boris, confirmation, /Подтвердить/, /Уже выполнено/);
    expect(await transferCount()).toBe(before + 1);
    expect((await balance(borisId)).available).toBe(45n * USDT);
    expect((await balance(annId)).available).toBe(REWARD + 5n * USDT);
  });

  it('lists plans (a paused one says until when), opens a deposit once, and shows it, in Russian', async () => {
    const plans = await say(boris, '/plans', /Накопительные планы/);
    expect(plans.text).toContain('flex-30: 4.5% годовых на 30 дн., от 1 до 1000 USDT');
    expect(plans.text).toMatch(/locked-90 приостановлен до/);
    expect(() => buttonData(plans, /Открыть locked-90/)).toThrow();
    await press(boris, plans, /Открыть flex-30/, /Сколько USDT вложить в flex-30\? Доступно: 45 USDT/);
    const amounts: Array<[string, RegExp]> = [
      ['-5', /Сумма должна быть положительной/],
      ['0.0000001', /не больше 6 знаков после точки/],
      ['0.5', /flex-30 принимает от 1 до 1000 USDT/],
      ['46', /Недостаточно средств: доступно 45 USDT/],
    ];
    for (const [text, expected] of amounts) await say(boris, text, expected);
    expect((await balance(borisId)).locked).toBe(0n);
    const confirmation = await say(boris, '10', /Вложить 10 USDT в flex-30 под 4.5% годовых на 30 дн\./);
    await press(boris, confirmation, /Подтвердить/, /План flex-30 открыт на 10 USDT/);
    await press(boris, confirmation, /Подтвердить/, /Уже выполнено/);
    expect(await balance(borisId)).toEqual({ available: 35n * USDT, locked: 10n * USDT });
    const [deposits] = await e2e.rows<{ count: number }>('ledger', 'select count(*)::int as count from %schema%.plan_deposits where user_id = $1', [borisId]);
    expect(deposits?.count).toBe(1);

    const again = await say(boris, '/plans', /Накопительные планы/);
    const mine = await press(boris, again, /Мои вклады/, /Ваши вклады/);
    expect(mine.text).toMatch(/flex-30: 10 USDT, начислено 0 USDT, до /);
  });

  it('files a support request in English after refusing bad answers, lists it, and cancels it once', async () => {
    const menu = await say(ann, '/support', /^Support$/);
    const categories = await press(ann, menu, /New request/, /What is it about\?/);
    await say(ann, 'my deposit', /Choose a category with the buttons above/);
    await press(ann, categories, /^Deposit$/, /Describe the problem/);
    for (const text of ['short', '   ', 'a bell \u0007 in the text', 'x'.repeat(4_000)]) await say(ann, text, /The description must be 10 to 2,000 characters/);
    await say(ann, 'My deposit has not arrived after an hour.', /How else can we reach you/);
    await say(ann, 'x'.repeat(201), /The contact must be 1 to 200 characters/);
    const created = await say(ann, '-', /Request #[0-9a-f]{8} is open/);
    const number = created.text?.match(/#([0-9a-f]{8})/)?.[1] ?? '?';
    const rows = await committedRows<{ id: string; category: string; description: string; contact: string | null; status: string }>(
      'select id, category, description, contact, status from %schema%.support_requests where user_id = $1',
      [annId],
    );
    expect(rows).toEqual([{ id: expect.stringMatching(new RegExp(`^${number}`)), category: 'deposit', description: 'My deposit has not arrived after an hour.', contact: null, status: 'new' }]);

    const list = await press(ann, menu, /My requests/, new RegExp(`#${number} · Deposit · new`));
    // A forged cancel (not signed by the bot) is refused and changes nothing.
    const after = lastMessageId(ann.userId);
    const answersBefore = e2e.emulator.callbackAnswers().length;
    await e2e.emulator.pressButton(ann, list, 'sup.cx|AAAAAAAAAAAA|AAAAAAAAAAAAAAAAAAAAAA|AAAAAAAAAAAAAAAA', { forged: true });
    await waitFor(() => e2e.emulator.callbackAnswers().slice(answersBefore).some((answer) => /not valid/.test(answer.text ?? '')), { timeoutMs: 15_000, description: 'forged press answered' });
    // The bot itself sent nothing for it. The notifier may meanwhile deliver a notice of an earlier
    // test (a referral reward, say): its messages are told apart by the ids it recorded.
    await waitFor(
      async () => (await e2e.rows('notifier', "select id from %schema%.notifications where chat_id = $1 and state = 'sending'", [ann.userId])).length === 0,
      { timeoutMs: 15_000, description: 'no notice to the chat in flight' },
    );
    const notices = await e2e.rows<{ id: number }>(
      'notifier',
      "select telegram_message_id as id from %schema%.notifications where chat_id = $1 and telegram_message_id is not null",
      [ann.userId],
    );
    const noticeIds = new Set(notices.map((notice) => Number(notice.id)));
    const botSince = e2e.emulator.sentMessages(ann.userId).filter((message) => message.messageId > after && !noticeIds.has(message.messageId));
    expect(botSince.map((message) => message.text)).toEqual([]);

    await press(ann, list, new RegExp(`Cancel #${number}`), new RegExp(`Request #${number} is cancelled`));
    await press(ann, list, new RegExp(`Cancel #${number}`), /Already done/);
    const [cancelled] = await e2e.rows<{ status: string }>('bot-gateway', 'select status from %schema%.support_requests where user_id = $1', [annId]);
    expect(cancelled?.status).toBe('cancelled');
    // Opened and cancelled: two status changes, each published once (the notifier tells the user).
    const events = await e2e.rows<{ count: number }>('bot-gateway', "select count(*)::int as count from %schema%.outbox where event->'data'->>'requestId' = $1", [rows[0]?.id]);
    expect(events[0]?.count).toBe(2);
  });

  it('refuses to cancel a request an admin has resolved', async () => {
    const menu = await say(ann, '/support', /^Support$/);
    const categories = await press(ann, menu, /New request/, /What is it about\?/);
    await press(ann, categories, /Something else/, /Describe the problem/);
    await say(ann, 'Please explain the plan interest.', /How else can we reach you/);
    const created = await say(ann, 'ann@example.com', /Request #[0-9a-f]{8} is open/);
    const number = created.text?.match(/#([0-9a-f]{8})/)?.[1] ?? '?';
    const list = await press(ann, menu, /My requests/, new RegExp(`#${number} · Something else · new`));
    const [row] = await e2e.rows<{ id: string; contact: string }>('bot-gateway', "select id, contact from %schema%.support_requests where user_id = $1 and status = 'new'", [annId]);
    expect(row?.contact).toBe('ann@example.com');
    for (const to of ['in_progress', 'resolved'] as const) await commands.call(changeSupportStatusV1, { adminId: newId(), requestId: row?.id ?? '', to });
    // The notifier tells the user of the admin's change.
    await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && new RegExp(`Support request #${number} \\(other\\): resolved`).test(m.text ?? ''), { timeoutMs: 30_000 });
    await press(ann, list, new RegExp(`Cancel #${number}`), new RegExp(`Request #${number} can no longer be cancelled`));
    const [after] = await e2e.rows<{ status: string }>('bot-gateway', 'select status from %schema%.support_requests where id = $1', [row?.id]);
    expect(after?.status).toBe('resolved');
  });

  it('opens every flow from the main menu', async () => {
    await say(carl, '/start', /recovery code/);
    const menu = await e2e.emulator.waitForMessage((m) => m.chatId === carl.userId && /What would you like to do/.test(m.text ?? ''), { timeoutMs: 30_000 });
    await press(carl, menu, /Send to a user/, /Send the recipient's wallet code/);
    await press(carl, menu, /Savings plans/, /flex-30: 4.5% a year for 30 days, 1 to 1000 USDT/);
    await press(carl, menu, /Invite friends/, /Invite friends with your link/);
    await press(carl, menu, /Support/, /^Support$/);
  });

  it('lets a blacklisted user reach support, and nothing else', async () => {
    const carlId = await userIdOf(carl.userId);
    await commands.call(blacklistUserV1, { adminId: ADMIN_ID, userId: carlId, blacklisted: true, reason: 'e2e: disputed deposit' });
    await committedRows('select id from %schema%.users where id = $1 and blacklisted', [carlId]);
    await say(carl, '/transfer', /Your account is restricted/);
    await say(carl, '/plans', /Your account is restricted/);
    const menu = await say(carl, '/support', /^Support$/);
    const categories = await press(carl, menu, /New request/, /What is it about\?/);
    await press(carl, categories, /^Account$/, /Describe the problem/);
    await say(carl, 'Why is my account restricted?', /How else can we reach you/);
    await say(carl, '-', /Request #[0-9a-f]{8} is open/);
    const [request] = await committedRows<{ category: string }>('select category from %schema%.support_requests where user_id = $1', [carlId]);
    expect(request?.category).toBe('account');
  });

  it('files a recovery request from a new account, refusing bad codes, a second account and a registered one', async () => {
    await say(annAgain, '/recover', /Send your recovery code/);
    for (const text of ['hello', 'ABCD-EFGH-JKMN-PQRS', 'x'.repeat(4_000)]) await say(annAgain, text, /This recovery code is not valid/);
    await say(annAgain, annRecoveryCode.toLowerCase(), /Your request is received/);
    const requests = await committedRows<{ user_id: string; new_telegram_user_id: string; status: string }>(
      'select user_id, new_telegram_user_id::text, status from %schema%.recovery_requests',
    );
    expect(requests).toEqual([{ user_id: annId, new_telegram_user_id: String(annAgain.userId), status: 'pending' }]);

    await say(stranger, '/recover', /Send your recovery code/);
    await say(stranger, annRecoveryCode, /Another account has already asked to recover this wallet/);
    await say(ann, '/recover', /already has a wallet/);
    expect(await e2e.rows('bot-gateway', 'select id from %schema%.recovery_requests')).toHaveLength(1);
  });

  it('replaces the recovery code on request, shown once and protected', async () => {
    const confirm = await say(ann, '/recovery_code', /A new recovery code replaces your current one/);
    const [before] = await e2e.rows<{ recovery_code_hash: string }>('bot-gateway', 'select recovery_code_hash from %schema%.users where id = $1', [annId]);
    const shown = await press(ann, confirm, /New code/, /Your new recovery code/);
    const code = shown.text?.match(RECOVERY_CODE)?.[0];
    expect(code).toBeDefined();
    expect(code).not.toBe(annRecoveryCode);
    const sent = e2e.emulator.calls('sendMessage').find((call) => String(call.params['text'] ?? '').includes(code ?? '?'));
    expect(String(sent?.params['protect_content'])).toBe('true');
    const [after] = await committedRows<{ recovery_code_hash: string }>('select recovery_code_hash from %schema%.users where id = $1 and recovery_code_hash <> $2', [
      annId,
      before?.recovery_code_hash,
    ]);
    expect(after?.recovery_code_hash).toMatch(/^[0-9a-f]{64}$/);
    await press(ann, confirm, /New code/, /Already done/);
    const [still] = await e2e.rows<{ recovery_code_hash: string }>('bot-gateway', 'select recovery_code_hash from %schema%.users where id = $1', [annId]);
    expect(still?.recovery_code_hash).toBe(after?.recovery_code_hash);
  });

  it('keeps a transfer confirmed while the ledger is down and makes it once when the ledger is back', async () => {
    await say(boris, '/transfer', /Отправьте код кошелька получателя/);
    await say(boris, annCode, /Сколько USDT отправить/);
    const confirmation = await say(boris, '1', /Отправить 1 USDT на кошелёк/);
    const before = { transfers: await transferCount(), boris: await balance(borisId), ann: await balance(annId) };
    const ledger = e2e.stack.services.ledger;
    expect((await ledger.kill('SIGKILL')).signal).toBe('SIGKILL');
    const after = lastMessageId(boris.userId);
    const answers = e2e.emulator.callbackAnswers().length;
    await e2e.emulator.pressButton(boris, confirmation, buttonData(confirmation, /Подтвердить/));
    // The press is answered at once but cannot complete: nothing moves, no receipt; the update is kept.
    await waitFor(() => e2e.emulator.callbackAnswers().length > answers, { timeoutMs: 15_000, description: 'press answered' });
    expect(await transferCount()).toBe(before.transfers);
    expect(e2e.emulator.sentMessages(boris.userId).filter((m) => m.messageId > after && /Отправлено/.test(m.text ?? ''))).toEqual([]);
    ledger.start();
    await e2e.emulator.waitForMessage((m) => m.chatId === boris.userId && m.messageId > after && /Отправлено 1 USDT/.test(m.text ?? ''), { timeoutMs: 90_000 });
    expect(await transferCount()).toBe(before.transfers + 1);
    expect((await balance(borisId)).available).toBe(before.boris.available - USDT);
    expect((await balance(annId)).available).toBe(before.ann.available + USDT);
    expect(e2e.emulator.sentMessages(boris.userId).filter((m) => m.messageId > after && /Отправлено 1 USDT/.test(m.text ?? ''))).toHaveLength(1);
    await press(boris, confirmation, /Подтвердить/, /Уже выполнено/);
    expect(await transferCount()).toBe(before.transfers + 1);
  });
});
