// Proves the worker's exactly-once contract against the real PostgreSQL and the Bot API emulator:
// a handler's database writes through `ctx.tx` commit together with the update's inbox mark, so
// handling the same update again (a redelivery after a crash between commit and ack, or a re-send
// past the stream's duplicate window) runs no handler — no second effect, no second reply — also
// when both copies arrive at once; a handler that fails after writing leaves nothing behind and
// the next delivery applies it once; and the apology for a dead-lettered update goes out once, in
// the stored language when the user is known, else Telegram's.
import { sql } from 'drizzle-orm';
import { Bot, Composer } from 'grammy';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { createDatabase, migrate, type Database } from '@strongbox/shared-db';
import { createI18n } from '@strongbox/shared-i18n';
import { gatewayMigrationsFolder, gatewaySchema, registerUser } from '@strongbox/gateway-data-access';
import { startBotApiEmulator, TEST_DATABASE_URL, uniqueNamespace, type BotApiEmulator } from '@strongbox/shared-testing';
import { pino } from 'pino';
import { apologizeForUpdate, APOLOGY_INBOX_CONSUMER } from '../../src/apology.consumer';
import type { GatewayContext } from '../../src/update.context';
import { createUpdateWorker, UPDATE_INBOX_CONSUMER, type UpdateWorker } from '../../src/update.worker';
import { messageUpdate } from './ingress.fixtures';

const namespace = uniqueNamespace('gwwork');
const schema = pgSchemaName(namespace, 'bot-gateway');
let database: Database<typeof gatewaySchema>;
let admin: postgres.Sql;
let emulator: BotApiEmulator;
let worker: UpdateWorker;
let bot: Bot<GatewayContext>;
/** Set by a test to make the next `count` handler throw after its write. */
let failAfterWrite = false;

beforeAll(async () => {
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: gatewayMigrationsFolder, lockTimeoutMs: 10_000 });
  admin = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined, connection: { search_path: schema } });
  // A test-only table: an effect that is NOT idempotent by itself, so a second run would show.
  await admin.unsafe('create table effects (update_id bigint not null, at timestamptz not null default clock_timestamp())');
  database = createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName: 'gateway-worker-test', poolSizeMax: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 10_000 },
    gatewaySchema,
  );
  emulator = await startBotApiEmulator();
  bot = new Bot<GatewayContext>(emulator.token, { client: { apiRoot: emulator.apiRoot } });
  await bot.init();
  worker = createUpdateWorker({ bot, database, botId: emulator.botId });
  const composer = new Composer<GatewayContext>();
  composer.command('count', async (ctx) => {
    await ctx.tx.execute(sql`insert into effects (update_id) values (${ctx.update.update_id})`);
    if (failAfterWrite) throw new Error('handler failed after its write');
    await ctx.reply(`counted ${ctx.update.update_id}`);
  });
  bot.use(composer);
});

afterAll(async () => {
  await emulator?.close();
  await database?.close(5_000);
  await admin?.unsafe(`drop schema if exists "${schema}" cascade`);
  await admin?.end({ timeout: 5 });
});

async function effectsOf(updateId: number): Promise<number> {
  const [row] = await admin<Array<{ count: string }>>`select count(*)::text as count from effects where update_id = ${updateId}`;
  return Number(row?.count ?? 0);
}

async function inboxRows(consumer: string, updateId: number): Promise<number> {
  const key = `tg:${emulator.botId}:${updateId}`;
  const [row] = await admin<Array<{ count: string }>>`select count(*)::text as count from inbox where consumer = ${consumer} and event_id = ${key}`;
  return Number(row?.count ?? 0);
}

function repliesTo(updateId: number): number {
  return emulator.sentMessages().filter((message) => message.text === `counted ${updateId}`).length;
}

describe('update worker (exactly-once effects)', () => {
  it('the same update handled twice: one effect, one reply; the second is a duplicate', async () => {
    const user = { userId: 7001 };
    emulator.openChat(user);
    const update = messageUpdate(1_001, user, '/count');
    expect(await worker.handle(update)).toEqual({ duplicate: false });
    expect(await worker.handle(update)).toEqual({ duplicate: true });
    expect(await effectsOf(1_001)).toBe(1);
    expect(await inboxRows(UPDATE_INBOX_CONSUMER, 1_001)).toBe(1);
    expect(repliesTo(1_001)).toBe(1);
  });

  it('two copies at once: the inbox row serialises them, one runs', async () => {
    const user = { userId: 7002 };
    emulator.openChat(user);
    const update = messageUpdate(1_002, user, '/count');
    const outcomes = await Promise.all([worker.handle(update), worker.handle(update), worker.handle(update)]);
    expect(outcomes.filter((outcome) => !outcome.duplicate)).toHaveLength(1);
    expect(await effectsOf(1_002)).toBe(1);
    expect(repliesTo(1_002)).toBe(1);
  });

  it('a handler failing after its write leaves nothing (no effect, no inbox row); the next delivery applies it once', async () => {
    const user = { userId: 7003 };
    emulator.openChat(user);
    const update = messageUpdate(1_003, user, '/count');
    failAfterWrite = true;
    try {
      await expect(worker.handle(update)).rejects.toThrow(/handler failed after its write/);
    } finally {
      failAfterWrite = false;
    }
    expect(await effectsOf(1_003)).toBe(0);
    expect(await inboxRows(UPDATE_INBOX_CONSUMER, 1_003)).toBe(0);
    expect(await worker.handle(update)).toEqual({ duplicate: false });
    expect(await effectsOf(1_003)).toBe(1);
    expect(repliesTo(1_003)).toBe(1);
  });

  it('an update without a handler still gets its inbox mark (a later copy is a no-op)', async () => {
    const user = { userId: 7004 };
    emulator.openChat(user);
    const update = messageUpdate(1_004, user, 'hello there');
    expect(await worker.handle(update)).toEqual({ duplicate: false });
    expect(await worker.handle(update)).toEqual({ duplicate: true });
    expect(await inboxRows(UPDATE_INBOX_CONSUMER, 1_004)).toBe(1);
  });

  it('an update reaching grammY outside the worker fails loudly instead of writing outside the inbox transaction', async () => {
    await expect(bot.handleUpdate(messageUpdate(1_005, { userId: 7005 }, '/count'))).rejects.toThrow(/outside its inbox transaction/);
    expect(await effectsOf(1_005)).toBe(0);
  });
});

describe('apology for a dead-lettered update', () => {
  const i18n = createI18n();
  const logger = pino({ level: 'silent' });

  it('goes out once, in Telegram\'s language for an unknown user', async () => {
    const user = { userId: 7101, languageCode: 'ru' };
    emulator.openChat(user);
    const update = messageUpdate(2_001, user, '/count');
    const first = await apologizeForUpdate({ database, api: bot.api, i18n, botId: emulator.botId, logger, update });
    const second = await apologizeForUpdate({ database, api: bot.api, i18n, botId: emulator.botId, logger, update });
    expect(first).toEqual({ sent: true, reason: 'sent' });
    expect(second).toEqual({ sent: false, reason: 'already-sent' });
    const sent = emulator.sentMessages(7101);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.text).toBe(i18n.t('ru', 'gateway-system-apology'));
    expect(await inboxRows(APOLOGY_INBOX_CONSUMER, 2_001)).toBe(1);
  });

  it('uses the language stored for a registered user over Telegram\'s', async () => {
    const user = { userId: 7102, languageCode: 'en' };
    emulator.openChat(user);
    await database.db.transaction((tx) =>
      registerUser(tx, { namespace, telegramUserId: 7102n, chatId: 7102n, languageCode: 'ru', referralCode: null }),
    );
    const update = messageUpdate(2_002, user, '/count');
    expect(await apologizeForUpdate({ database, api: bot.api, i18n, botId: emulator.botId, logger, update })).toEqual({ sent: true, reason: 'sent' });
    expect(emulator.sentMessages(7102)[0]?.text).toBe(i18n.t('ru', 'gateway-system-apology'));
  });

  it('a chat Telegram refuses (bot blocked) is recorded as done, not retried forever', async () => {
    const user = { userId: 7103 };
    emulator.openChat(user);
    emulator.setBotBlocked(7103, true);
    const update = messageUpdate(2_003, user, '/count');
    expect(await apologizeForUpdate({ database, api: bot.api, i18n, botId: emulator.botId, logger, update })).toEqual({ sent: false, reason: 'chat-refused' });
    expect(await apologizeForUpdate({ database, api: bot.api, i18n, botId: emulator.botId, logger, update })).toEqual({ sent: false, reason: 'already-sent' });
  });
});
