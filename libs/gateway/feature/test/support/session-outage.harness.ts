import { isDeepStrictEqual } from 'node:util';
import { Bot, session, type Composer, type Context, type SessionFlavor } from 'grammy';
import { redisKeyPrefix } from '@strongbox/shared-contracts';
import { startBotApiEmulator, waitFor, type BotApiEmulator } from '@strongbox/shared-testing';
import { createVersionedSessionStorage, type VersionedSessionStorage } from '../../src/index';
import { freshGatewayDatabase, privateRedisUnderTest, testLogger, type GatewayTestDatabase, type RedisUnderTest } from './gateway.harness';

// A bot with the versioned session storage on a private Redis, long-polling the Bot API emulator,
// for dialog tests that stop Redis in the middle of a conversation. Any dialog composer plugs in:
// the test's own small one now, the real withdrawal dialog later.

export type SessionContext<S> = Context & SessionFlavor<S>;

export interface SessionOutageHarness<S> {
  readonly emulator: BotApiEmulator;
  readonly redis: RedisUnderTest;
  readonly pg: GatewayTestDatabase;
  readonly storage: VersionedSessionStorage<S>;
  /** The session key grammY uses for a private chat. */
  sessionKey(chatId: number): string;
  /** The entry PostgreSQL holds for `key`. */
  pgEntry(key: string): Promise<{ value: unknown; version: bigint; needsSync: boolean } | undefined>;
  /** The entry Redis holds for `key` (read with a separate client, so it works right after a restart). */
  redisEntry(key: string): Promise<{ value: unknown; version: bigint } | undefined>;
  /** Waits until Redis holds exactly what PostgreSQL holds for `key`, with nothing left to sync. */
  waitUntilRedisCaughtUp(key: string, timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

export interface SessionOutageHarnessOptions<S> {
  readonly dialog: Composer<SessionContext<S>>;
  readonly initial: () => S;
}

export async function startSessionOutageHarness<S>(options: SessionOutageHarnessOptions<S>): Promise<SessionOutageHarness<S>> {
  const pg = await freshGatewayDatabase('gwd');
  const redis = await privateRedisUnderTest(pg.namespace);
  const emulator = await startBotApiEmulator();
  const storage = createVersionedSessionStorage<S>({
    db: pg.database.db,
    redis: redis.client,
    logger: testLogger,
    breakerFailures: 1,
    breakerHalfOpenAfterMs: 100,
    syncIntervalMs: 50,
  });
  storage.start();

  const bot = new Bot<SessionContext<S>>(emulator.token, { client: { apiRoot: emulator.apiRoot } });
  bot.use(session({ initial: options.initial, storage }));
  bot.use(options.dialog);
  bot.catch((error) => testLogger.error({ err: error.error }, 'dialog handler failed'));
  await bot.init();
  const polling = bot.start({ timeout: 1, drop_pending_updates: false });

  const fullKey = (key: string): string => `${redisKeyPrefix(pg.namespace, 'bot-gateway')}session:${key}`;
  const harness: SessionOutageHarness<S> = {
    emulator,
    redis,
    pg,
    storage,
    sessionKey: (chatId) => String(chatId),
    async pgEntry(key) {
      const rows = await pg.sql<{ value: unknown; version: string; needs_sync: boolean }[]>`select value, version, needs_sync from sessions where key = ${key}`;
      const row = rows[0];
      return row ? { value: row.value, version: BigInt(row.version), needsSync: row.needs_sync } : undefined;
    },
    async redisEntry(key) {
      const raw = redis.raw();
      try {
        const [version, json] = await raw.hmget(fullKey(key), 'v', 'd');
        if (version === null || version === undefined) return undefined;
        return { version: BigInt(version), value: json ? (JSON.parse(json) as unknown) : null };
      } finally {
        raw.disconnect();
      }
    },
    async waitUntilRedisCaughtUp(key, timeoutMs = 10_000) {
      await waitFor(
        async () => {
          const row = await harness.pgEntry(key);
          const entry = await harness.redisEntry(key);
          return row !== undefined && !row.needsSync && entry?.version === row.version && isDeepStrictEqual(entry.value, row.value);
        },
        { timeoutMs, description: `redis holds PostgreSQL's newest session ${key}` },
      );
    },
    async dispose() {
      await bot.stop();
      await polling.catch(() => undefined);
      await storage.stop();
      await emulator.close();
      await redis.dispose();
      await pg.dispose();
    },
  };
  return harness;
}
