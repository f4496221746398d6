// The bot while the chain-watcher process is down, with all five services as real processes, anvil
// and the Bot API emulator. With the watcher up, the deposit screen shows each user's address and a
// real transfer to it is credited. The watcher is then SIGKILLed: the deposit screen and a deposit
// claim are answered with the translated "technical works, your request is kept" notice, once per
// chat however often the update is retried, and nothing else (no error dump, no apology, no dead
// letter); the balance screen and registration, which need only the ledger, go on. After the
// watcher's restart every kept update is answered once, in its chat's order: the same address as
// before, the claim's own answer, and the address of a user registered during the outage (the
// watcher resumes its durable consumer of account openings).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { durableName, getBalanceV1, streamName, StreamBases } from '@strongbox/shared-contracts';
import { createI18n } from '@strongbox/shared-i18n';
import { createCommandClient, type CommandClient } from '@strongbox/shared-messaging';
import { ANVIL_SECOND_PRIVATE_KEY, waitUntilReady } from '@strongbox/shared-stack';
import { TEST_NATS_URL, waitFor, type EmulatedUser, type SentMessage } from '@strongbox/shared-testing';
import { botChat, type BotChat } from '../support/bot-chat';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';
import { waitForNotifierSettled } from '../support/notifier-settled';

const USDT = 1_000_000n;
const CONFIRMATIONS = 3;
/** Set explicitly, so that the test can put its users in partitions of their own. */
const PARTITIONS = 16;
/** How long an answer may take once the watcher is back: the kept update waits out its back-off (1 s doubling). */
const RECOVERY_ANSWER_TIMEOUT_MS = 120_000;

const i18n = createI18n();
const ann: EmulatedUser = { userId: 740_001, firstName: 'Ann', languageCode: 'en' };
const boris: EmulatedUser = { userId: 740_002, firstName: 'Борис', languageCode: 'ru' };
const carol: EmulatedUser = { userId: 740_003, firstName: 'Carol', languageCode: 'en' };
const ANN_DEPOSIT_MINOR = 100n * USDT;
const BORIS_DEPOSIT_MINOR = 50n * USDT;

let e2e: E2eStack;
let chat: BotChat;
let nc: NatsConnection;
let jsm: JetStreamManager;
let ledger: CommandClient;

beforeAll(async () => {
  e2e = await startE2eStack({
    extraEnv: {
      // The test types faster than a person; the flood limit has its own tests.
      'bot-gateway': { BOT_FLOOD_UPDATES_MAX: '1000', TELEGRAM_UPDATE_PARTITIONS: String(PARTITIONS) },
      'chain-watcher': { CHAIN_CONFIRMATIONS: String(CONFIRMATIONS) },
    },
  });
  chat = botChat(e2e.emulator);
  nc = await connect({ servers: TEST_NATS_URL });
  jsm = await jetstreamManager(nc);
  ledger = createCommandClient(nc, { namespace: e2e.namespace, timeoutMs: 5_000 });
}, 180_000);

afterAll(async () => {
  await nc?.close();
  await e2e?.teardown();
}, 60_000);

async function userIdOf(user: EmulatedUser): Promise<string> {
  const [row] = await e2e.rows<{ id: string }>('bot-gateway', 'select id from %schema%.users where telegram_user_id = $1', [user.userId]);
  if (!row) throw new Error(`user ${user.userId} is not registered`);
  return row.id;
}

async function available(user: EmulatedUser): Promise<bigint> {
  return BigInt((await ledger.call(getBalanceV1, { userId: await userIdOf(user), asset: 'USDT' })).available);
}

async function mine(blocks: number): Promise<void> {
  await fetch(e2e.anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: [`0x${blocks.toString(16)}`] }),
  });
}

/** Registers the user: the one-time recovery code, then the menu. */
async function register(user: EmulatedUser, codeText: RegExp, menuText: RegExp): Promise<SentMessage> {
  await chat.say(user, '/start', codeText);
  return e2e.emulator.waitForMessage((m) => m.chatId === user.userId && menuText.test(m.text ?? ''), { timeoutMs: 30_000 });
}

/** Presses Deposit until the address is there (the watcher assigns it once the ledger opened the wallet); the address and its QR message. */
async function depositScreen(user: EmulatedUser, menu: SentMessage, label: RegExp, shown: RegExp, pending: RegExp): Promise<{ address: string; qr: SentMessage }> {
  let text: SentMessage | undefined;
  await waitFor(
    async () => {
      const answer = await chat.press(user, menu, label, new RegExp(`${shown.source}|${pending.source}`));
      if (pending.test(answer.text ?? '')) return false;
      text = answer;
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500, description: `deposit address shown to ${user.userId}` },
  );
  const address = text?.text?.match(/0x[0-9a-fA-F]{40}/)?.[0];
  if (!address) throw new Error(`no address in ${JSON.stringify(text?.text)}`);
  const qr = await e2e.emulator.waitForMessage((m) => m.chatId === user.userId && m.kind === 'photo' && (m.caption ?? '').includes(address), { timeoutMs: 10_000 });
  return { address, qr };
}

/** Messages the bot sent in the user's chat after message `afterId`, oldest first. */
function messagesAfter(user: EmulatedUser, afterId: number): SentMessage[] {
  return e2e.emulator.sentMessages(user.userId).filter((m) => m.messageId > afterId);
}

/** How often the bot-gateway has deferred the update because of an outage (its warning per deferral). */
function deferrals(updateId: number): number {
  return e2e.stack.services['bot-gateway'].logs().filter((line) => {
    if (!line.includes('update waits for an outage to end')) return false;
    try {
      return (JSON.parse(line) as { updateId?: number }).updateId === updateId;
    } catch {
      return false;
    }
  }).length;
}

/** Dead letters of the bot-gateway's update handling in this namespace. */
async function gatewayDeadLetters(): Promise<number> {
  const info = await jsm.streams.info(streamName(e2e.namespace, StreamBases.deadLetters), { subjects_filter: `${e2e.namespace}.dlq.bot-gateway-handle-on-tg-update-p*` });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

/** True when every update partition has nothing pending and nothing unacknowledged. */
async function updatesSettled(): Promise<boolean> {
  const stream = streamName(e2e.namespace, StreamBases.tgUpdates);
  for (let partition = 0; partition < PARTITIONS; partition += 1) {
    const info = await jsm.consumers.info(stream, durableName('bot-gateway', 'handle', `tg-update-p${partition}`));
    if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}

const keptEn = i18n.t('en', 'service-degraded');
const keptRu = i18n.t('ru', 'service-degraded');
const isKept = (m: SentMessage) => m.text === keptEn || m.text === keptRu;
const apologies = new Set(['en', 'ru'].map((locale) => i18n.t(locale, 'gateway-system-apology')));

let annMenu: SentMessage;
let borisMenu: SentMessage;
let annAddress: string;
let borisAddress: string;
let annQr: SentMessage;
let annTxHash: string;
let borisTxHash: string;
/** Ann's kept deposit screen, and the notices each chat got. */
let annKept: SentMessage;
let borisKept: SentMessage;
let annDepositUpdateId: number;
let borisClaimUpdateId: number;

describe('bot while the chain-watcher is down', () => {
  it('shows each user the deposit address and credits a real transfer while the watcher is up', async () => {
    // Each user's updates wait only behind their own partition's.
    expect(new Set([ann, boris, carol].map((user) => user.userId % PARTITIONS)).size).toBe(3);
    annMenu = await register(ann, /recovery code/, /What would you like to do/);
    borisMenu = await register(boris, /код восстановления/, /Что вы хотите сделать/);

    ({ address: annAddress, qr: annQr } = await depositScreen(ann, annMenu, /Deposit/, /Send USDT/, /being prepared/));
    const boris1 = await depositScreen(boris, borisMenu, /Пополнить/, /Отправьте USDT/, /ещё готовится/);
    borisAddress = boris1.address;
    expect(borisAddress).not.toBe(annAddress);
    // Boris is at the claim's question when the watcher goes: his answer will need the watcher.
    await chat.press(boris, boris1.qr, /Я отправил пополнение/, /хеш транзакции/);

    annTxHash = (await e2e.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, annAddress, ANN_DEPOSIT_MINOR)).txHash;
    borisTxHash = (await e2e.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, borisAddress, BORIS_DEPOSIT_MINOR)).txHash;
    await mine(CONFIRMATIONS);
    await waitFor(async () => (await available(ann)) === ANN_DEPOSIT_MINOR && (await available(boris)) === BORIS_DEPOSIT_MINOR, {
      timeoutMs: 60_000,
      intervalMs: 250,
      description: 'both deposits credited',
    });
    // Every notification of the journey so far is out: from here on the chats hear only the gateway.
    await waitForNotifierSettled(e2e, jsm, 60_000);
    await waitFor(updatesSettled, { timeoutMs: 30_000, intervalMs: 200, description: 'every update handled' });
  });

  it('keeps the deposit screen and a claim while the watcher is killed, says so once per chat, and the ledger screens go on', async () => {
    const watcher = e2e.stack.services['chain-watcher'];
    const killed = await watcher.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');

    // Ann opens the deposit screen again: the gateway has no address of its own, so the request is kept.
    const annBefore = chat.lastMessageId(ann.userId);
    const press = await e2e.emulator.pressButton(ann, annMenu, chat.buttonData(annMenu, /Deposit/));
    annDepositUpdateId = press.update_id;
    annKept = await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && m.messageId > annBefore, { timeoutMs: 30_000 });
    expect(annKept.text).toBe(keptEn);
    // Then she claims her deposit on the screen she already has: both wait behind the deposit screen.
    await e2e.emulator.pressButton(ann, annQr, chat.buttonData(annQr, /I have sent a deposit/));
    await e2e.emulator.sendMessage(ann, annTxHash);

    // Boris's balance needs only the ledger: answered now, in Russian.
    const balance = await chat.press(boris, borisMenu, /Баланс/, /Ваш баланс|Идут технические работы/);
    expect(balance.text).toContain('Ваш баланс');
    expect(balance.text).toContain('USDT: доступно 50');
    // His claim needs the watcher: kept, and he is told so in Russian.
    const borisBefore = chat.lastMessageId(boris.userId);
    const claim = await e2e.emulator.sendMessage(boris, borisTxHash);
    borisClaimUpdateId = claim.update_id;
    borisKept = await e2e.emulator.waitForMessage((m) => m.chatId === boris.userId && m.messageId > borisBefore, { timeoutMs: 30_000 });
    expect(borisKept.text).toBe(keptRu);

    // Registration needs the gateway and the ledger only.
    await register(carol, /recovery code/, /What would you like to do/);

    // Both kept updates have been tried again (they wait, doubling from 1 s) and told nobody twice.
    await waitFor(() => deferrals(annDepositUpdateId) >= 2 && deferrals(borisClaimUpdateId) >= 2, {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'the kept updates retried during the outage',
    });
    expect(messagesAfter(ann, annBefore)).toEqual([annKept]);
    expect(messagesAfter(boris, borisBefore)).toEqual([borisKept]);
    for (const user of [ann, boris]) expect(e2e.emulator.sentMessages(user.userId).filter(isKept)).toHaveLength(1);
    // Nothing raw reached a user, nothing was given up on.
    for (const user of [ann, boris, carol]) {
      for (const message of e2e.emulator.sentMessages(user.userId)) {
        expect(message.text ?? message.caption ?? '').not.toMatch(/CHAIN_ERR|COMMAND_ERR|MESSAGING_ERR|unavailable|Error|\bat \S+ \(/);
        expect(apologies.has(message.text ?? '')).toBe(false);
      }
    }
    expect(await gatewayDeadLetters()).toBe(0);
  });

  it('answers every kept update once, in order, when the watcher is back: the same address, the claims, a new user\'s address', async () => {
    const watcher = e2e.stack.services['chain-watcher'];
    watcher.start();
    await waitUntilReady(watcher, 60_000);

    const annClaimed = await e2e.emulator.waitForMessage((m) => m.chatId === ann.userId && m.text === i18n.t('en', 'deposit-claim-confirmed'), {
      timeoutMs: RECOVERY_ANSWER_TIMEOUT_MS,
    });
    const borisClaimed = await e2e.emulator.waitForMessage((m) => m.chatId === boris.userId && m.text === i18n.t('ru', 'deposit-claim-confirmed'), {
      timeoutMs: RECOVERY_ANSWER_TIMEOUT_MS,
    });
    // The watcher consumed Carol's account opening from where it stopped and gave her an address.
    const carolMenu = e2e.emulator.sentMessages(carol.userId).find((m) => /What would you like to do/.test(m.text ?? ''));
    if (!carolMenu) throw new Error('Carol has no menu');
    const { address: carolAddress } = await depositScreen(carol, carolMenu, /Deposit/, /Send USDT/, /being prepared/);
    expect(carolAddress).not.toBe(annAddress);
    expect(carolAddress).not.toBe(borisAddress);

    // Every update handled and acknowledged: whatever the gateway had to say has been said.
    await waitFor(updatesSettled, { timeoutMs: 30_000, intervalMs: 200, description: 'every update handled' });
    const annAfter = messagesAfter(ann, annKept.messageId);
    expect(annAfter.map((m) => ({ kind: m.kind, text: m.text ?? m.caption }))).toEqual([
      { kind: 'text', text: i18n.t('en', 'deposit-address', { asset: 'USDT', chainId: e2e.anvil.chainId, address: annAddress, confirmations: CONFIRMATIONS }) },
      { kind: 'photo', text: i18n.t('en', 'deposit-qr-caption', { address: annAddress }) },
      { kind: 'text', text: i18n.t('en', 'deposit-claim-ask') },
      { kind: 'text', text: i18n.t('en', 'deposit-claim-confirmed') },
    ]);
    expect(annAfter.at(-1)).toEqual(annClaimed);
    expect(messagesAfter(boris, borisKept.messageId)).toEqual([borisClaimed]);
    for (const user of [ann, boris]) expect(e2e.emulator.sentMessages(user.userId).filter(isKept)).toHaveLength(1);
    expect(await gatewayDeadLetters()).toBe(0);
    // The claims are the watcher's record; a kept claim was stored once it was answered.
    const claims = await e2e.rows<{ tx_hash: string }>('chain-watcher', 'select tx_hash from %schema%.deposit_claims order by tx_hash');
    expect(claims.map((row) => row.tx_hash.toLowerCase()).sort()).toEqual([annTxHash, borisTxHash].map((hash) => hash.toLowerCase()).sort());
  });
});
