// Proves the bot-gateway's degradation when its own PostgreSQL dies (docs/architecture.md, the
// "bot-gateway PostgreSQL" row), with the built gateway as a real process on a PRIVATE PostgreSQL
// that the test SIGKILLs. While it is down, updates for three chats are still accepted (every
// webhook POST answered 200: they are stored in JetStream, which needs no PostgreSQL); each chat
// hears, in its Telegram language, exactly once, that technical works are under way and its
// request is kept, and nothing else; /readyz answers 503 naming postgres. After PostgreSQL is
// restarted the same process — never restarted itself — handles every kept update exactly once,
// in order per chat, with no dead letter and no human action.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Update } from 'grammy/types';
import { DEGRADED_TEXT_KEY, partitionOfUpdate } from '@strongbox/gateway-feature';
import { createI18n } from '@strongbox/shared-i18n';
import { startPrivatePostgres, waitFor, type PrivateServer, type RecordedCall } from '@strongbox/shared-testing';
import { messageUpdate, startGatewayIngressStack, type GatewayIngressStack } from '../support/gateway-ingress-stack';

/** Deliveries of each chat's first kept update seen failing before PostgreSQL is brought back. */
const DEFERRALS_BEFORE_RESTART = 3;
const FIRST_UPDATE_ID = 930_000;

type Locale = 'en' | 'ru';
interface TestChat {
  readonly user: { userId: number; languageCode: string };
  readonly locale: Locale;
  /** What the chat sends during the outage, in this order. */
  readonly commands: readonly string[];
}

/** Three chats in three partitions (each waits behind nobody but itself), in both languages. */
const CHATS: readonly TestChat[] = [
  { user: { userId: 5_300, languageCode: 'en' }, locale: 'en', commands: ['/ping', '/start', '/ping'] },
  { user: { userId: 5_301, languageCode: 'ru' }, locale: 'ru', commands: ['/start', '/menu', '/ping'] },
  // /menu before /start: the account does not exist yet, which only the database can say.
  { user: { userId: 5_302, languageCode: 'ru-RU' }, locale: 'ru', commands: ['/menu', '/start', '/ping'] },
];

const i18n = createI18n();
let postgres: PrivateServer;
let postgresStartMs: number;
let stack: GatewayIngressStack;

beforeAll(async () => {
  const startedAt = Date.now();
  postgres = await startPrivatePostgres();
  postgresStartMs = Date.now() - startedAt;
  stack = await startGatewayIngressStack({ mode: 'webhook', prefix: 'gwpgdown', databaseUrl: postgres.url });
}, 120_000);

afterAll(async () => {
  // The private PostgreSQL goes away whatever the gateway's teardown says, and its schema with it.
  try {
    await stack?.teardown();
  } finally {
    await postgres?.stop();
  }
}, 60_000);

async function readyz(): Promise<{ status: number; checks: Record<string, { status: string; required: boolean }> }> {
  const response = await fetch(`${stack.service.opsUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as { checks: Record<string, { status: string; required: boolean }> };
  return { status: response.status, checks: body.checks };
}

/** The bot's successful sendMessage calls to one chat, in the order the emulator received them. */
function sentTo(chatId: number): RecordedCall[] {
  return stack.emulator.calls('sendMessage').filter((call) => call.ok === true && Number(call.params['chat_id']) === chatId);
}

/** Bot API calls other than sendMessage aimed at the test's chats (an edit, a callback answer, …). */
function otherCallsToChats(): RecordedCall[] {
  const chatIds = new Set(CHATS.map((chat) => chat.user.userId));
  return stack.emulator.calls().filter((call) => call.method !== 'sendMessage' && chatIds.has(Number(call.params['chat_id'])));
}

/** The message a reply answers (`reply_parameters.message_id`), if it is one. */
function repliedTo(call: RecordedCall): number | undefined {
  const parameters = call.params['reply_parameters'];
  const parsed = (typeof parameters === 'string' ? JSON.parse(parameters) : parameters) as { message_id?: number } | undefined;
  return parsed?.message_id;
}

/**
 * What a sent message is, compared with the real translations in the chat's language: a pong
 * (with the message it answers), the "request kept" notice, a piece of /start or /menu, or
 * `unexpected: <text>` — an error text, an apology, a message in the wrong language.
 */
function labelOf(call: RecordedCall, locale: Locale): string {
  const text = String(call.params['text']);
  const marker = '\u0000';
  const [recoveryHead = '', recoveryTail = ''] = i18n.t(locale, 'start-recovery-code', { code: marker }).split(marker);
  if (text === i18n.t(locale, 'gateway-system-pong')) return `pong to ${repliedTo(call)}`;
  if (text === i18n.t(locale, DEGRADED_TEXT_KEY)) return 'request kept';
  if (text === i18n.t(locale, 'not-registered')) return 'not registered';
  if (text === i18n.t(locale, 'language-choose')) return 'language choice';
  if (text === i18n.t(locale, 'menu-title')) return 'menu';
  if (text.startsWith(recoveryHead) && text.endsWith(recoveryTail)) return 'recovery code';
  return `unexpected: ${text.slice(0, 120)}`;
}

function labelsOf(chat: TestChat): string[] {
  return sentTo(chat.user.userId).map((call) => labelOf(call, chat.locale));
}

/** The answer each update must get once handled, given what the chat sent before it. */
function expectedAnswer(update: Update, registered: boolean): string[] {
  const text = update.message?.text;
  if (text === '/ping') return [`pong to ${update.message?.message_id}`];
  if (text === '/start') return registered ? ['menu'] : ['recovery code', 'language choice', 'menu'];
  if (text === '/menu') return registered ? ['menu'] : ['not registered'];
  throw new Error(`no expected answer for ${text}`);
}

/** Update id and delivery count of every "update waits for an outage to end" line the gateway logged. */
function deferrals(): Array<{ updateId: number; deliveryCount: number }> {
  const found: Array<{ updateId: number; deliveryCount: number }> = [];
  for (const line of stack.service.logs()) {
    if (!line.includes('update waits for an outage to end')) continue;
    try {
      const entry = JSON.parse(line) as { updateId?: number; deliveryCount?: number };
      if (typeof entry.updateId === 'number' && typeof entry.deliveryCount === 'number') found.push({ updateId: entry.updateId, deliveryCount: entry.deliveryCount });
    } catch {
      // Not a JSON log line.
    }
  }
  return found;
}

describe('bot-gateway while its PostgreSQL is down (real process, private PostgreSQL)', () => {
  it('accepts updates, tells each chat once that its request is kept, and after PostgreSQL returns handles each kept update once, in order per chat', async () => {
    const [first] = CHATS;
    for (const chat of CHATS) stack.emulator.openChat(chat.user);
    // Each chat waits only behind its own updates.
    const partitions = CHATS.map((chat) => partitionOfUpdate(messageUpdate(0, chat.user, '/ping'), stack.partitions));
    expect(new Set(partitions).size).toBe(CHATS.length);

    // Before the outage: the whole path, database included (the inbox), answers.
    const before = messageUpdate(FIRST_UPDATE_ID, first!.user, '/ping');
    expect(await stack.post(before)).toBe(200);
    await waitFor(() => stack.repliesTo(first!.user.userId, FIRST_UPDATE_ID) === 1, { timeoutMs: 15_000, description: 'the pong before the outage' });
    await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 15_000, description: '/readyz 200 before the outage' });
    const beforeOutage = new Map(CHATS.map((chat) => [chat.user.userId, labelsOf(chat)]));

    // The gateway must live through the outage. Should it die, the waits below fail at once,
    // naming the exit and its last log lines, rather than timing out on a closed port.
    const pid = stack.service.pid;
    const died = stack.service.exited().then((exit) => {
      throw new Error(`the bot-gateway exited (${JSON.stringify(exit)}) during the PostgreSQL outage:\n${stack.service.logs().slice(-30).join('\n')}`);
    });
    died.catch(() => undefined);
    const unlessDied = <T>(work: Promise<T>): Promise<T> => Promise.race([work, died]);

    await postgres.kill();
    const downAt = Date.now();

    // Round by round, as people type: each chat's updates in order, the chats interleaved.
    const kept = new Map<number, Update[]>(CHATS.map((chat) => [chat.user.userId, []]));
    const statuses: number[] = [];
    let updateId = FIRST_UPDATE_ID;
    for (let round = 0; round < Math.max(...CHATS.map((chat) => chat.commands.length)); round += 1) {
      for (const chat of CHATS) {
        const command = chat.commands[round];
        if (command === undefined) continue;
        updateId += 1;
        const update = messageUpdate(updateId, chat.user, command);
        kept.get(chat.user.userId)!.push(update);
        statuses.push(await stack.post(update));
      }
    }
    expect(statuses).toEqual(statuses.map(() => 200));
    const keptIds = [...kept.values()].flat().map((update) => update.update_id);
    const firstKeptIds = CHATS.map((chat) => kept.get(chat.user.userId)![0]!.update_id);

    await unlessDied(
      waitFor(
        async () => {
          const answer = await readyz();
          return answer.status === 503 && answer.checks['postgres']?.status === 'down';
        },
        { timeoutMs: 20_000, intervalMs: 100, description: '/readyz 503 naming postgres' },
      ),
    );
    const notReady = await readyz();
    expect(notReady.checks['postgres']).toMatchObject({ status: 'down', required: true });

    // Each chat's first update is tried, fails on the database, and waits; the notice goes out on
    // the first failure. Several deliveries later it must still have gone out only once.
    await unlessDied(
      waitFor(() => CHATS.every((chat) => labelsOf(chat).includes('request kept')), {
        timeoutMs: 20_000,
        intervalMs: 100,
        description: 'every chat told its request is kept',
      }),
    );
    await unlessDied(
      waitFor(
        () => firstKeptIds.every((id) => deferrals().some((deferral) => deferral.updateId === id && deferral.deliveryCount >= DEFERRALS_BEFORE_RESTART)),
        { timeoutMs: 30_000, intervalMs: 100, description: `each chat's first kept update deferred ${DEFERRALS_BEFORE_RESTART} times` },
      ),
    );
    for (const chat of CHATS) {
      expect(labelsOf(chat), `chat ${chat.user.userId} during the outage`).toEqual([...beforeOutage.get(chat.user.userId)!, 'request kept']);
    }
    expect(otherCallsToChats()).toEqual([]);
    // A chat's later updates wait behind its first: nothing else was even tried.
    expect([...new Set(deferrals().map((deferral) => deferral.updateId))].sort()).toEqual([...firstKeptIds].sort());
    expect(await stack.deadLetters()).toEqual([]);

    const restartStartedAt = Date.now();
    await postgres.restart();
    const postgresRestartMs = Date.now() - restartStartedAt;

    const readyAfterMs = await unlessDied(
      waitFor(async () => ((await readyz()).status === 200 ? Date.now() - restartStartedAt : undefined), {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: '/readyz 200 after PostgreSQL is back',
      }),
    );

    // Every chat: what it saw before, the one notice, then each kept update's answer, in order.
    const expected = new Map<number, string[]>();
    for (const chat of CHATS) {
      let registered = false;
      const answers: string[] = [];
      for (const update of kept.get(chat.user.userId)!) {
        answers.push(...expectedAnswer(update, registered));
        if (update.message?.text === '/start') registered = true;
      }
      expected.set(chat.user.userId, [...beforeOutage.get(chat.user.userId)!, 'request kept', ...answers]);
    }
    await unlessDied(
      waitFor(() => CHATS.every((chat) => labelsOf(chat).length >= expected.get(chat.user.userId)!.length), {
        timeoutMs: 90_000,
        intervalMs: 100,
        description: 'every kept update answered',
      }),
    );
    const lastAnsweredAfterMs = Math.max(...CHATS.map((chat) => sentTo(chat.user.userId).at(-1)!.at)) - restartStartedAt;
    await unlessDied(waitFor(() => stack.idle('updates'), { timeoutMs: 30_000, intervalMs: 50, description: 'every ingress consumer idle' }));

    // Nothing more, nothing twice, nothing out of order.
    for (const chat of CHATS) {
      expect(labelsOf(chat), `chat ${chat.user.userId} after the outage`).toEqual(expected.get(chat.user.userId));
      for (const update of kept.get(chat.user.userId)!) {
        if (update.message?.text === '/ping') expect(stack.repliesTo(chat.user.userId, update.message.message_id)).toBe(1);
      }
    }
    expect(otherCallsToChats()).toEqual([]);
    expect(await stack.deadLetters()).toEqual([]);
    const marks = (await stack.inbox()).map((row) => row.updateId).filter((id) => id > FIRST_UPDATE_ID);
    expect([...marks].sort()).toEqual([...keptIds].sort());
    expect((await readyz()).status).toBe(200);
    expect(stack.service.pid).toBe(pid);
    expect(() => process.kill(pid!, 0)).not.toThrow();

    const longest = Math.max(...deferrals().map((deferral) => deferral.deliveryCount));
    console.info(
      `gateway postgres outage: private PostgreSQL started in ${postgresStartMs} ms; ${keptIds.length} updates for ${CHATS.length} chats kept; ` +
        `down for ${restartStartedAt - downAt} ms (first updates delivered up to ${longest} times), restarted in ${postgresRestartMs} ms; ` +
        `/readyz 200 ${readyAfterMs} ms and the last kept update answered ${lastAnsweredAfterMs} ms after the restart began`,
    );
  }, 240_000);
});
