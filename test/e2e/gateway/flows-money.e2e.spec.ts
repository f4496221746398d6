// The bot's money flows end to end, with all five services as real processes, anvil and the Bot API
// emulator: /start shows the one-time recovery code and the menu; the deposit screen gives the
// address as text and as a QR code, a real token transfer to it is credited and shows on the balance
// and history screens; the withdrawal dialog refuses every bad amount and address with its own
// translated message and changes nothing, its confirmation shows fee and limits, and pressing confirm
// twice (two updates) makes one withdrawal; a genuine confirm button older than BOT_BUTTON_MAX_AGE_S
// is answered "expired" with the current menu and reaches no ledger command; forged buttons and
// maintenance are refused politely, in English and in Russian.
import { createServer, type Server } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { blacklistUserV1, getBalanceV1, redisKeyPrefix } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { BUTTON_MAX_AGE_MS_DEFAULT, callbackSecretOf, createCallbackDataCodec } from '@strongbox/gateway-feature';
import { createCommandClient, Flags, setFlag, type CommandClient } from '@strongbox/shared-messaging';
import { ANVIL_SECOND_PRIVATE_KEY, waitUntilReady } from '@strongbox/shared-stack';
import { startPrivateRedis, TEST_NATS_URL, waitFor, type EmulatedUser, type PrivateServer, type SentMessage } from '@strongbox/shared-testing';
import { botChat, type BotChat } from '../support/bot-chat';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';

const USDT = 1_000_000n;
const CONFIRMATIONS = 12;

let e2e: E2eStack;
let chat: BotChat;
const lastMessageId = (chatId: number) => chat.lastMessageId(chatId);
const say = (user: EmulatedUser, text: string, pattern: RegExp) => chat.say(user, text, pattern);
const press = (user: EmulatedUser, message: SentMessage, label: RegExp, pattern: RegExp) => chat.press(user, message, label, pattern);
let nc: NatsConnection;
let ledger: CommandClient;
/** A stand-in for the external exchange-rate API (the only outside service the bot reads). */
let rates: Server;
/** The gateway's Redis, private so that a test can kill it. */
let redis: PrivateServer;

beforeAll(async () => {
  rates = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ asOf: new Date().toISOString(), rates: { USDT: { USD: '1.0002', EUR: '0.92', RUB: '91.5' } } }));
  });
  await new Promise<void>((resolve) => rates.listen(0, '127.0.0.1', resolve));
  const ratesUrl = `http://127.0.0.1:${(rates.address() as AddressInfo).port}/rates`;
  redis = await startPrivateRedis();
  // The test types faster than a person; the flood limit has its own tests.
  e2e = await startE2eStack({ redisUrl: redis.url, extraEnv: { 'bot-gateway': { BOT_FLOOD_UPDATES_MAX: '1000', RATES_API_URL: ratesUrl } } });
  chat = botChat(e2e.emulator);
  nc = await connect({ servers: TEST_NATS_URL });
  ledger = createCommandClient(nc, { namespace: e2e.namespace, timeoutMs: 5_000 });
}, 180_000);

afterAll(async () => {
  await nc?.close();
  await e2e?.teardown();
  await new Promise((resolve) => rates?.close(resolve));
  await redis?.stop();
}, 60_000);

/** The highest message id the bot has used in the chat so far (0 before any). */

async function userIdOf(telegramUserId: number): Promise<string> {
  const [row] = await e2e.rows<{ id: string }>('bot-gateway', 'select id from %schema%.users where telegram_user_id = $1', [telegramUserId]);
  if (!row) throw new Error(`user ${telegramUserId} is not registered`);
  return row.id;
}

async function available(userId: string): Promise<bigint> {
  const balance = await ledger.call(getBalanceV1, { userId, asset: 'USDT' });
  return BigInt(balance.available);
}

interface SessionRow {
  readonly value: unknown;
  readonly version: string;
  readonly needs_sync: boolean;
}

async function pgSession(key: string): Promise<SessionRow | undefined> {
  const [row] = await e2e.rows<{ value: unknown; version: string; needs_sync: boolean }>(
    'bot-gateway',
    'select value, version::text as version, needs_sync from %schema%.sessions where key = $1',
    [key],
  );
  return row;
}

async function redisSession(key: string): Promise<{ version: string; value: unknown } | undefined> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [version, json] = await client.hmget(`${redisKeyPrefix(e2e.namespace, 'bot-gateway')}session:${key}`, 'v', 'd');
    return version ? { version, value: json ? (JSON.parse(json) as unknown) : null } : undefined;
  } finally {
    client.disconnect();
  }
}

/** Waits until Redis holds exactly PostgreSQL's newest session, with nothing left to sync. */
function waitUntilRedisCaughtUp(key: string, description: string): Promise<SessionRow> {
  return waitFor(
    async () => {
      const row = await pgSession(key);
      const cached = await redisSession(key);
      return row && !row.needs_sync && cached?.version === row.version && isDeepStrictEqual(cached.value, row.value) ? row : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, description },
  );
}

async function mine(blocks: number): Promise<void> {
  await fetch(e2e.anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: [`0x${blocks.toString(16)}`] }),
  });
}

const ann: EmulatedUser = { userId: 730_001, firstName: 'Ann', languageCode: 'en' };
const boris: EmulatedUser = { userId: 730_002, firstName: 'Борис', languageCode: 'ru' };
let menu: SentMessage;
let annId: string;
let depositTxHash: string;

describe('bot money flows', () => {
  it('/start shows the one-time recovery code, the language choice and the menu', async () => {
    const code = await say(ann, '/start', /recovery code/);
    expect(code.text).toMatch(/[0-9A-Z]{4}(-[0-9A-Z]{4}){3}/);
    menu = await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && /What would you like to do/.test(m.text ?? ''), { timeoutMs: 30_000 });
    annId = await userIdOf(ann.userId);
    // The code itself is never stored: only its hash.
    const [stored] = await e2e.rows<{ recovery_code_hash: string }>('bot-gateway', 'select recovery_code_hash from %schema%.users where id = $1', [annId]);
    expect(stored?.recovery_code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.recovery_code_hash).not.toContain(code.text?.match(/[0-9A-Z]{4}(-[0-9A-Z]{4}){3}/)?.[0] ?? 'none');
  });

  it('shows the deposit address as text and as a QR code; a real transfer to it is credited and listed', async () => {
    // The watcher assigns the address once the ledger has opened the wallet: ask until it is there.
    let addressMessage: SentMessage | undefined;
    await waitFor(
      async () => {
        const shown = await press(ann, menu, /Deposit/, /Send USDT|being prepared/);
        if (/being prepared/.test(shown.text ?? '')) return false;
        addressMessage = shown;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 500, description: 'deposit address shown' },
    );
    const address = addressMessage?.text?.match(/0x[0-9a-fA-F]{40}/)?.[0];
    expect(address).toBeDefined();
    expect(addressMessage?.text).toContain(`after ${CONFIRMATIONS} confirmations`);
    const qr = await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && m.kind === 'photo' && (m.caption ?? '').includes(address ?? '?'), { timeoutMs: 10_000 });
    expect(qr.photo).toBeDefined();

    const deposit = await e2e.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, address ?? '', 100n * USDT);
    depositTxHash = deposit.txHash;
    await mine(CONFIRMATIONS);
    await waitFor(async () => (await available(annId)) === 100n * USDT, { timeoutMs: 60_000, intervalMs: 250, description: 'deposit credited' });

    const balance = await press(ann, menu, /Balance/, /Your balance/);
    expect(balance.text).toContain('USDT: 100 available');
    expect(balance.text).toContain('≈ 100.02 USD');
    const inRoubles = await press(ann, balance, /^RUB$/, /Your balance/);
    expect(inRoubles.text).toContain('≈ 9150.00 RUB');
    const history = await press(ann, balance, /History/, /History, page 1/);
    expect(history.text).toMatch(/deposit · \+100 USDT/);

    const claimPrompt = await press(ann, qr, /I have sent a deposit/, /transaction hash/);
    expect(claimPrompt.text).toMatch(/0x followed by 64 hex digits/);
    await say(ann, '0x1234', /A transaction hash is 0x followed by 64 hex digits/);
    await say(ann, depositTxHash, /confirmed and credited/);
  });

  it('refuses every bad amount and address with its own message, and changes nothing', async () => {
    const before = await available(annId);
    await press(ann, menu, /Withdraw/, /How much USDT do you want to withdraw/);
    const amounts: Array<[string, RegExp]> = [
      ['-5', /must be positive/],
      ['1e3', /Write all digits out/],
      ['0.0000001', /At most 6 digits after the point/],
      ['١٢', /Use the digits 0-9/],
      ['1,000', /Use a point for decimals/],
      ['0', /greater than zero/],
      ['x'.repeat(4_000), /too long/],
      ['0.5', /minimum withdrawal is 1 USDT/],
      ['1000', /Not enough funds/],
    ];
    for (const [text, expected] of amounts) await say(ann, text, expected);
    await say(ann, '10', /Send the address to withdraw to/);
    const addresses: Array<[string, RegExp]> = [
      ['hello', /0x followed by 40 hex digits/],
      ['0x52908400098527886e0F7030069857D2E4169EE7', /wrong checksum/],
      ['0x0000000000000000000000000000000000000000', /burns funds/],
    ];
    for (const [text, expected] of addresses) await say(ann, text, expected);
    expect(await available(annId)).toBe(before);
    const [{ count } = { count: -1 }] = await e2e.rows<{ count: number }>('ledger', 'select count(*)::int as count from %schema%.withdrawals where user_id = $1', [annId]);
    expect(count).toBe(0);
    await say(ann, '/cancel', /Cancelled/);
  });

  it('confirms a withdrawal once, however often the confirm button is pressed', async () => {
    await press(ann, menu, /Withdraw/, /How much USDT/);
    await say(ann, '10', /Send the address/);
    const confirmation = await say(ann, '0x52908400098527886e0f7030069857d2e4169ee7', /Please check the withdrawal/);
    expect(confirmation.text).toContain('Amount: 10 USDT');
    expect(confirmation.text).toContain('Fee: 1 USDT');
    expect(confirmation.text).toContain('Total debited: 11 USDT');
    expect(confirmation.text).toContain('0x52908400098527886E0F7030069857D2E4169EE7');

    await press(ann, confirmation, /Confirm/, /Withdrawal accepted/);
    await press(ann, confirmation, /Confirm/, /Already done/);
    const withdrawals = await e2e.rows<{ amount: string }>('ledger', 'select amount::text as amount from %schema%.withdrawals where user_id = $1', [annId]);
    expect(withdrawals).toEqual([{ amount: String(10n * USDT) }]);
    expect(await available(annId)).toBe(100n * USDT - 11n * USDT);
  });

  it('refuses a confirm button made longer ago than BOT_BUTTON_MAX_AGE_S with the current menu, and asks the ledger for nothing', async () => {
    await say(ann, '/withdraw', /How much USDT/);
    await say(ann, '5', /Send the address/);
    const confirmation = await say(ann, '0x52908400098527886e0f7030069857d2e4169ee7', /Please check the withdrawal/);
    const [action = '', , payload = ''] = chat.buttonData(confirmation, /Confirm/).split('|');
    // The gateway's key (derived from the bot token in this stack) and a clock a minute past the
    // maximum age back: the confirm button as the gateway would have signed it then.
    const madeAtMs = Date.now() - BUTTON_MAX_AGE_MS_DEFAULT - 60_000;
    const signer = createCallbackDataCodec(callbackSecretOf({ BOT_TOKEN: e2e.emulator.token }), { now: () => madeAtMs });
    const intentId = signer.newIntentId();
    const expired = signer.sign(ann.userId, { action, intentId, payload });
    const before = await available(annId);
    const withdrawalsBefore = await e2e.rows('ledger', 'select 1 from %schema%.withdrawals where user_id = $1', [annId]);
    const confirmKeys = () => e2e.rows<{ key: string }>('ledger', "select key from %schema%.idempotency_keys where key like 'wd-confirm-%' order by key");
    const keysBefore = await confirmKeys();
    // The confirmed withdrawal of the test before left its key: the query sees them.
    expect(keysBefore.length).toBeGreaterThan(0);

    const refused = await chat.answerTo(ann, () => e2e.emulator.pressButton(ann, confirmation, expired, { forged: true }), /This button has expired and nothing was done/);
    menu = await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && m.messageId > refused.messageId && /What would you like to do/.test(m.text ?? ''), {
      timeoutMs: 15_000,
    });
    expect(await e2e.rows('ledger', 'select 1 from %schema%.withdrawals where user_id = $1', [annId])).toHaveLength(withdrawalsBefore.length);
    expect(await confirmKeys()).toEqual(keysBefore);
    expect(await e2e.rows('bot-gateway', 'select 1 from %schema%.button_intents where intent_id = $1', [intentId])).toEqual([]);
    expect(await available(annId)).toBe(before);
    // The dialog was left as it was: it is still there to cancel.
    await say(ann, '/cancel', /Cancelled/);
  });

  it('answers a forged button press politely and does nothing', async () => {
    const before = await available(annId);
    const after = lastMessageId(ann.userId);
    await e2e.emulator.pressButton(ann, menu, 'wd.confirm|AAAAAAAAAAAA||AAAAAAAAAAAAAAAA', { forged: true });
    await waitFor(() => e2e.emulator.callbackAnswers().some((answer) => answer.text !== undefined && /button/i.test(answer.text)), {
      timeoutMs: 15_000,
      description: 'forged press answered',
    });
    expect(lastMessageId(ann.userId)).toBe(after);
    expect(await available(annId)).toBe(before);
  });

  it('refuses withdrawals in maintenance with a translated reason, in Russian too', async () => {
    await say(boris, '/start', /код восстановления/);
    const borisMenu = await e2e.emulator.waitForMessage((m) => m.chatId === boris.userId && /Что вы хотите сделать/.test(m.text ?? ''), { timeoutMs: 30_000 });
    await setFlag(nc, e2e.namespace, Flags.maintenance, { on: true, reason: 'test maintenance', setBy: 'e2e' });
    try {
      await waitFor(
        async () => {
          const answer = await press(boris, borisMenu, /Вывести/, /Сколько USDT вывести|обслуживание/);
          return /обслуживание/.test(answer.text ?? '');
        },
        { timeoutMs: 15_000, intervalMs: 300, description: 'maintenance seen by the gateway' },
      );
      // The confirmation screen replaced the menu as Ann's current one: a fresh menu to press on.
      const annMenu = await say(ann, '/menu', /What would you like to do/);
      await waitFor(
        async () => {
          const answer = await press(ann, annMenu, /Withdraw/, /How much USDT|maintenance/);
          return /paused while the blockchain connection is under maintenance/.test(answer.text ?? '');
        },
        { timeoutMs: 15_000, intervalMs: 300, description: 'maintenance refused in English' },
      );
    } finally {
      await setFlag(nc, e2e.namespace, Flags.maintenance, { on: false, reason: 'test over', setBy: 'e2e' });
    }
  });

  it('goes on with a withdrawal dialog from PostgreSQL while Redis is down, and Redis holds the newest state after it returns', async () => {
    const annMenu = await say(ann, '/menu', /What would you like to do/);
    await press(ann, annMenu, /Withdraw/, /How much USDT/);
    await say(ann, '5', /Send the address/);
    const beforeOutage = await waitUntilRedisCaughtUp(`user:${ann.userId}`, 'the amount step in Redis');
    expect(JSON.stringify(beforeOutage.value)).toContain(`"${5n * USDT}"`);

    await redis.kill();
    const confirmation = await say(ann, '0x52908400098527886e0f7030069857d2e4169ee7', /Please check the withdrawal/);
    expect(confirmation.text).toContain('Amount: 5 USDT');
    // The dialog went on from PostgreSQL: a newer version, marked for the trip back to Redis.
    const duringOutage = await waitFor(
      async () => {
        const row = await pgSession(`user:${ann.userId}`);
        return row && BigInt(row.version) > BigInt(beforeOutage.version) ? row : undefined;
      },
      { timeoutMs: 20_000, description: 'the session written during the outage' },
    );
    expect(duringOutage.needs_sync).toBe(true);

    await redis.restart();
    const afterRestart = await waitUntilRedisCaughtUp(`user:${ann.userId}`, 'the dialog state back in Redis');
    expect(BigInt(afterRestart.version)).toBeGreaterThanOrEqual(BigInt(duringOutage.version));
    expect(JSON.stringify(afterRestart.value)).toContain('0x52908400098527886E0F7030069857D2E4169EE7');

    await press(ann, confirmation, /Confirm/, /Withdrawal accepted/);
    expect(await available(annId)).toBe(83n * USDT);
  });

  it('switches the language for every later screen', async () => {
    const annMenu = await say(ann, '/menu', /What would you like to do/);
    const choice = await press(ann, annMenu, /Language/, /Choose your language/);
    await press(ann, choice, /Русский/, /Язык: русский/);
    await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && /Что вы хотите сделать/.test(m.text ?? ''), { timeoutMs: 10_000 });
    // The reply goes out just before the update's transaction commits.
    await waitFor(
      async () => (await e2e.rows<{ language_code: string }>('bot-gateway', 'select language_code from %schema%.users where id = $1', [annId]))[0]?.language_code === 'ru',
      { timeoutMs: 10_000, intervalMs: 100, description: 'language stored' },
    );
    const back = await say(ann, '/language', /Выберите язык/);
    await press(ann, back, /English/, /Language set: English/);
  });

  it('refuses a blacklisted user politely', async () => {
    const borisId = await userIdOf(boris.userId);
    await ledger.call(blacklistUserV1, { adminId: newId(), userId: borisId, blacklisted: true, reason: 'e2e check' });
    await waitFor(
      async () => {
        const [row] = await e2e.rows<{ blacklisted: boolean }>('bot-gateway', 'select blacklisted from %schema%.users where id = $1', [borisId]);
        return row?.blacklisted === true;
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'blacklist read model updated' },
    );
    await say(boris, '/menu', /Ваш аккаунт ограничен/);
  });

  it('keeps a request while the ledger is down, says so once, and answers it when the ledger is back', async () => {
    const ledgerProcess = e2e.stack.services.ledger;
    const annMenu = await say(ann, '/menu', /What would you like to do/);
    await ledgerProcess.kill('SIGKILL');
    try {
      const kept = await press(ann, annMenu, /Balance/, /Technical works are under way|Your balance/);
      expect(kept.text).toMatch(/Your request is kept/);
      // Nothing else is answered until the ledger returns: no error dump, no second notice.
      expect(e2e.emulator.sentMessages(ann.userId).filter((m) => m.messageId > kept.messageId)).toEqual([]);
    } finally {
      ledgerProcess.start();
    }
    await waitUntilReady(ledgerProcess, 60_000);
    const balance = await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && /Your balance/.test(m.text ?? '') && m.messageId > annMenu.messageId, {
      timeoutMs: 90_000,
    });
    expect(balance.text).toContain('USDT: 83 available');
    expect(e2e.emulator.sentMessages(ann.userId).filter((m) => /Technical works/.test(m.text ?? ''))).toHaveLength(1);
  });
});
