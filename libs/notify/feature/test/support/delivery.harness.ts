import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { pgSchemaName, redisKeyPrefix } from '@strongbox/shared-contracts';
import { createDatabase, dropSchema, migrate, type Database } from '@strongbox/shared-db';
import { TEST_DATABASE_URL, type BotApiEmulator } from '@strongbox/shared-testing';
import {
  enqueueNotifications,
  ENQUEUE_NOTIFICATIONS_MAX,
  notifyMigrationsFolder,
  notifySchema,
  type NotificationInput,
} from '@strongbox/notify-data-access';
import { startDelivery, type DeliveryOptions, type DeliveryWorker } from '../../src/index';

// Shared by the delivery tests: a migrated notifier schema of its own, the worker started as the
// service starts it (real PostgreSQL, Redis, emulator), log lines captured to check alerts.

export interface NotificationRecord {
  id: string;
  chatId: bigint;
  userId: string | null;
  priority: number;
  state: string;
  attempts: number;
  lastError: string | null;
  telegramMessageId: number | null;
  sequence: bigint;
}

export interface DeliveryHarness {
  readonly namespace: string;
  readonly schema: string;
  readonly database: Database<typeof notifySchema>;
  readonly logs: Array<Record<string, unknown>>;
  enqueue(items: readonly NotificationInput[]): Promise<number>;
  notifications(): Promise<NotificationRecord[]>;
  /** Starts a worker like the service does; `redisUrl` undefined runs without Redis. */
  startWorker(
    emulator: { token: string; apiRoot: string },
    options?: Partial<DeliveryOptions>,
    redisUrl?: string,
    database?: Database<typeof notifySchema>,
  ): Promise<RunningWorker>;
  /** A second connection pool to the same schema through another URL (e.g. a fault proxy); closed with the harness. */
  openDatabase(url: string): Database<typeof notifySchema>;
  close(): Promise<void>;
}

export interface RunningWorker {
  readonly worker: DeliveryWorker;
  readonly registry: Registry;
  readonly redis: Redis | undefined;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  stop(): Promise<void>;
}

/** Options that keep tests short; each test overrides what it is about. */
export const FAST_DELIVERY_OPTIONS = {
  globalRatePerSecond: 100,
  chatRatePerSecond: 1,
  replicas: 1,
  concurrency: 8,
  requestTimeoutMs: 5_000,
  sendingStaleMs: 10_000,
  retryDelayMsMax: 2_000,
  retryDelayMsInitial: 100,
  idlePollMs: 50,
  sweepIntervalMs: 1_000,
} satisfies Omit<DeliveryOptions, 'token' | 'apiRoot'>;

export async function createDeliveryHarness(namespace: string): Promise<DeliveryHarness> {
  const schema = pgSchemaName(namespace, 'notifier');
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: notifyMigrationsFolder, lockTimeoutMs: 10_000 });
  const database = createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName: `${schema}-test`, poolSizeMax: 20, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 },
    notifySchema,
  );
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger: Logger = pino({ level: 'info' }, sink);
  const workers: RunningWorker[] = [];
  const extraDatabases: Array<Database<typeof notifySchema>> = [];

  return {
    namespace,
    schema,
    database,
    logs,
    async enqueue(items) {
      let inserted = 0;
      for (let start = 0; start < items.length; start += ENQUEUE_NOTIFICATIONS_MAX) {
        const chunk = items.slice(start, start + ENQUEUE_NOTIFICATIONS_MAX);
        inserted += await database.db.transaction((tx) => enqueueNotifications(tx, chunk));
      }
      return inserted;
    },
    async notifications() {
      const rows = [
        ...(await database.db.execute(
          sql`select id, chat_id::text as chat_id, user_id, priority, state, attempts, last_error, telegram_message_id, sequence::text as sequence from notifications order by sequence`,
        )),
      ] as Array<Record<string, unknown>>;
      return rows.map((row) => ({
        id: row['id'] as string,
        chatId: BigInt(row['chat_id'] as string),
        userId: (row['user_id'] as string | null) ?? null,
        priority: Number(row['priority']),
        state: row['state'] as string,
        attempts: Number(row['attempts']),
        lastError: (row['last_error'] as string | null) ?? null,
        telegramMessageId: (row['telegram_message_id'] as number | null) ?? null,
        sequence: BigInt(row['sequence'] as string),
      }));
    },
    openDatabase(url) {
      const extra = createDatabase(
        { url, schema, applicationName: `${schema}-test-extra`, poolSizeMax: 10, connectTimeoutMs: 2_000, statementTimeoutMs: 20_000 },
        notifySchema,
      );
      extraDatabases.push(extra);
      return extra;
    },
    async startWorker(emulator, options = {}, redisUrl, workerDatabase = database) {
      const registry = new Registry();
      const redis = redisUrl === undefined ? undefined : openTestRedis(redisUrl, namespace);
      if (redis) await waitReady(redis);
      const worker = await startDelivery(
        { namespace, logger, registry, redis, onShutdown: () => undefined },
        workerDatabase,
        { ...FAST_DELIVERY_OPTIONS, token: emulator.token, apiRoot: emulator.apiRoot, ...options },
      );
      let stopped = false;
      const running: RunningWorker = {
        worker,
        registry,
        redis,
        async metric(name, labels = {}) {
          const metric = await registry.getSingleMetric(name)?.get();
          return (metric?.values ?? [])
            .filter((value) => Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted))
            .reduce((sum, value) => sum + value.value, 0);
        },
        async stop() {
          if (stopped) return;
          stopped = true;
          await worker.stop(10_000).catch(() => undefined);
          redis?.disconnect();
        },
      };
      workers.push(running);
      return running;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await Promise.all(extraDatabases.map((extra) => extra.close(2_000).catch(() => undefined)));
      await database.close(5_000);
      await dropSchema(TEST_DATABASE_URL, schema);
    },
  };
}

/** Redis as the runtime opens it: the service's key prefix, failing fast while disconnected. */
export function openTestRedis(url: string, namespace: string): Redis {
  const redis = new Redis(url, {
    keyPrefix: redisKeyPrefix(namespace, 'notifier'),
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 200,
  });
  redis.on('error', () => undefined);
  return redis;
}

async function waitReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis did not become ready')), 5_000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

let nextChatId = 5_000_000;
/** Chat ids unique within the test process (the emulator of a test is its own anyway). */
export function takeChatIds(count: number): number[] {
  const ids = Array.from({ length: count }, (_, index) => nextChatId + index);
  nextChatId += count;
  return ids;
}

/** A notification with predictable text: `<chat>#<n>` shows order per chat in the emulator. */
export function note(chatId: number, n: number, overrides: Partial<NotificationInput> = {}): NotificationInput {
  return {
    id: `${chatId}:${n}`,
    userId: null,
    chatId: BigInt(chatId),
    priority: 2,
    template: 'test',
    languageCode: 'en',
    text: `${chatId}#${n}`,
    entities: [],
    causationId: `cause-${chatId}-${n}`,
    ...overrides,
  };
}

/** Opens every chat in the emulator, as if each user had started the bot. */
export function openChats(emulator: BotApiEmulator, chatIds: readonly number[]): void {
  for (const chatId of chatIds) emulator.openChat({ userId: chatId, firstName: `u${chatId}` });
}

/** The emulator's record per notification text: how many times each became visible. */
export function visibleCounts(...emulators: BotApiEmulator[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const emulator of emulators) {
    for (const message of emulator.sentMessages()) counts.set(message.rawText ?? '', (counts.get(message.rawText ?? '') ?? 0) + 1);
  }
  return counts;
}

/** The texts each chat received, in the order they arrived. */
export function textsByChat(...emulators: BotApiEmulator[]): Map<number, Array<{ text: string; sentAt: number }>> {
  const byChat = new Map<number, Array<{ text: string; sentAt: number }>>();
  for (const emulator of emulators) {
    for (const message of emulator.sentMessages()) {
      const list = byChat.get(message.chatId) ?? [];
      list.push({ text: message.rawText ?? '', sentAt: message.sentAt });
      byChat.set(message.chatId, list);
    }
  }
  return byChat;
}

/** The `n` of every `<chat>#<n>` text, in arrival order. */
export function sequenceNumbers(texts: ReadonlyArray<{ text: string }>): number[] {
  return texts.map((entry) => Number(entry.text.split('#')[1]));
}
