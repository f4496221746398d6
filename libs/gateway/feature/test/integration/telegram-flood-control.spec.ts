// Proves the gateway's handling of Telegram's flood control (429 with retry_after) against the
// real PostgreSQL and the Bot API emulator, through the worker and the update outcomes the service
// runs: a handler whose second message is refused with retry_after = 1 s has that one call repeated
// after the wait, so the user gets each message exactly once, the update is handled at its first
// delivery and is not counted as a failure (the outcomes here dead-letter at the first one); a 429
// beyond the in-handler bound defers the update by its retry_after, uncounted and without the
// "request kept" notice, and the next delivery completes it.
import { Bot, Composer } from 'grammy';
import postgres from 'postgres';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { createDatabase, migrate, type Database } from '@strongbox/shared-db';
import { createI18n } from '@strongbox/shared-i18n';
import { gatewayMigrationsFolder, gatewaySchema } from '@strongbox/gateway-data-access';
import { startBotApiEmulator, TEST_DATABASE_URL, uniqueNamespace, type BotApiEmulator, type RecordedCall } from '@strongbox/shared-testing';
import { telegramFloodControl, TELEGRAM_RETRY_AFTER_MAX_S } from '../../src/telegram.flood-control';
import type { GatewayContext } from '../../src/update.context';
import { createUpdateOutcomes, type UpdateOutcomes } from '../../src/update.outcomes';
import { createUpdateWorker, UPDATE_INBOX_CONSUMER, type UpdateWorker } from '../../src/update.worker';
import { messageUpdate } from './ingress.fixtures';

const namespace = uniqueNamespace('gwflood');
const schema = pgSchemaName(namespace, 'bot-gateway');
let database: Database<typeof gatewaySchema>;
let admin: postgres.Sql;
let emulator: BotApiEmulator;
let worker: UpdateWorker;
let outcomes: UpdateOutcomes;

beforeAll(async () => {
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: gatewayMigrationsFolder, lockTimeoutMs: 10_000 });
  admin = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined, connection: { search_path: schema } });
  database = createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName: 'gateway-flood-test', poolSizeMax: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 10_000 },
    gatewaySchema,
  );
  emulator = await startBotApiEmulator();
  const bot = new Bot<GatewayContext>(emulator.token, { client: { apiRoot: emulator.apiRoot } });
  bot.api.config.use(telegramFloodControl());
  await bot.init();
  worker = createUpdateWorker({ bot, database, botId: emulator.botId });
  const composer = new Composer<GatewayContext>();
  composer.command('two', async (ctx) => {
    await ctx.reply(`first ${ctx.update.update_id}`);
    await ctx.reply(`second ${ctx.update.update_id}`);
  });
  bot.use(composer);
  outcomes = createUpdateOutcomes({
    api: bot.api,
    i18n: createI18n(),
    botId: emulator.botId,
    logger: pino({ level: 'silent' }),
    // One counted failure dead-letters the update: a 429 counted as a failure would show at once.
    failuresMax: 1,
    outageRetryMs: 1_000,
    outageRetryMaxMs: 4_000,
    degradedNoticeWindowMs: 60_000,
  });
});

afterAll(async () => {
  await emulator?.close();
  await database?.close(5_000);
  await admin?.unsafe(`drop schema if exists "${schema}" cascade`);
  await admin?.end({ timeout: 5 });
});

async function inboxRows(updateId: number): Promise<number> {
  const key = `tg:${emulator.botId}:${updateId}`;
  const [row] = await admin<Array<{ count: string }>>`select count(*)::text as count from inbox where consumer = ${UPDATE_INBOX_CONSUMER} and event_id = ${key}`;
  return Number(row?.count ?? 0);
}

function sendsTo(chatId: number): RecordedCall[] {
  return emulator.calls('sendMessage').filter((call) => Number(call.params['chat_id']) === chatId);
}

function textsIn(chatId: number): Array<string | undefined> {
  return emulator.sentMessages(chatId).map((message) => message.text);
}

describe('Telegram flood control inside an update handler', () => {
  it('the second reply refused with retry_after = 1: repeated after the wait, each message once, handled at the first delivery', async () => {
    const user = { userId: 8001 };
    emulator.openChat(user);
    emulator.imposeFloodWait({ method: 'sendMessage', chatId: user.userId, retryAfterS: 1, skip: 1 });
    const update = messageUpdate(3_001, user, '/two');

    expect(await outcomes.run(update, 1, () => worker.handle(update))).toBeUndefined();

    expect(textsIn(user.userId)).toEqual(['first 3001', 'second 3001']);
    const calls = sendsTo(user.userId);
    expect(calls.map((call) => call.errorCode ?? 'ok')).toEqual(['ok', 429, 'ok']);
    const [, refused, repeated] = calls as [RecordedCall, RecordedCall, RecordedCall];
    expect(repeated.at - refused.at).toBeGreaterThanOrEqual(1_000);
    expect(await inboxRows(3_001)).toBe(1);
  });

  it('a 429 beyond the bound defers the update by its retry_after, uncounted and without a notice; the next delivery completes it', async () => {
    const user = { userId: 8002 };
    emulator.openChat(user);
    const retryAfterS = TELEGRAM_RETRY_AFTER_MAX_S + 1;
    emulator.imposeFloodWait({ method: 'sendMessage', chatId: user.userId, retryAfterS, skip: 1 });
    const update = messageUpdate(3_002, user, '/two');

    expect(await outcomes.run(update, 1, () => worker.handle(update))).toEqual({ retryAfterMs: retryAfterS * 1_000 });
    // Not waited out in the handler: one refused call, no repeat, no "request kept" notice.
    expect(sendsTo(user.userId).map((call) => call.errorCode ?? 'ok')).toEqual(['ok', 429]);
    expect(textsIn(user.userId)).toEqual(['first 3002']);
    expect(await inboxRows(3_002)).toBe(0);

    // The redelivery runs the whole handler again: the first message goes out a second time (the
    // price of a wait too long to hold the handler, ADR 15), the second once.
    expect(await outcomes.run(update, 2, () => worker.handle(update))).toBeUndefined();
    expect(textsIn(user.userId)).toEqual(['first 3002', 'first 3002', 'second 3002']);
    expect(await inboxRows(3_002)).toBe(1);
  });
});
