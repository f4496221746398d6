import type { StorageAdapter } from 'grammy';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DbExecutor } from '@strongbox/shared-db';
import {
  listUnsyncedSessions,
  markSessionSynced,
  readSession,
  readSessions,
  SESSION_READ_KEYS_MAX,
  SESSION_SYNC_BATCH_MAX,
  touchSessionsForCopy,
  writeSessionVersion,
  type StoredSession,
} from '@strongbox/gateway-data-access';
import { createCircuitBreaker, superviseLoop, type Breaker, type SupervisedLoop } from '@strongbox/shared-resilience';
import { createSessionRedis, type RedisSessionEntry, type SessionRedis } from './session.redis';

// ---------------------------------------------------------------------------------------------
// grammY session storage over Redis and PostgreSQL.
//
// PostgreSQL is written on every change (it assigns the versions and is what survives a Redis
// outage, which loses Redis's memory); Redis holds a copy for fast reads. A row marked needs_sync
// is one Redis does not hold yet: written while Redis was down, or in the instant between the two
// writes. While this process may have such rows, reads compare both stores and take the newer
// version, and a background pass copies the rows into Redis with a compare-and-set on the version.
//
// Rows may be purged (gateway housekeeping, ADR 17) once no Redis copy can exist: a copy of an
// existing row is only put into Redis after the row's updated_at was set to now
// (touchSessionsForCopy), so every copy expires within the Redis TTL of its row's updated_at.
// ---------------------------------------------------------------------------------------------

export interface VersionedSessionStorageOptions {
  /** The gateway's database (`database.db`); PostgreSQL is the store of record. */
  readonly db: DbExecutor;
  /** The service's Redis (with its key prefix); undefined runs on PostgreSQL alone. */
  readonly redis: Redis | undefined;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** Prefix of the session keys inside the service's Redis prefix. Default `session:`. */
  readonly redisKeyPrefix?: string;
  /** How long Redis keeps an untouched session (PostgreSQL keeps it until the housekeeping purges it, ADR 17). Default 7 days. */
  readonly redisTtlMs?: number;
  /** Redis failures in a row that open the breaker (reads and writes go to PostgreSQL only). Default 3. */
  readonly breakerFailures?: number;
  /** How long the breaker stays open before one trial call. Default 2 s. */
  readonly breakerHalfOpenAfterMs?: number;
  /** Pause between sync passes. Default 1 s. */
  readonly syncIntervalMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** What the storage is doing, for readiness details and tests. */
export interface VersionedSessionStorageStatus {
  readonly breaker: ReturnType<Breaker['state']>;
  /** True while this process may hold rows Redis does not have yet. */
  readonly mayHaveUnsynced: boolean;
  /** True from a Redis (re)connection until a pass has checked every session Redis holds. */
  readonly redisSuspect: boolean;
  /** Rows copied into Redis by sync passes since start. */
  readonly syncedTotal: number;
  /** Full comparisons of Redis's session copies with PostgreSQL since start. */
  readonly reconcilePasses: number;
}

/** A grammY `StorageAdapter` with a background sync; `start()` it, `stop()` it on shutdown. */
export interface VersionedSessionStorage<T> extends StorageAdapter<T> {
  /** Starts the background sync (one pass at once, then every `syncIntervalMs`). */
  start(): void;
  /** Stops the sync and stops following Redis reconnections; the storage is not used afterwards. */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * One sync pass: copies rows Redis missed, and after a Redis reconnection replaces every copy in
   * Redis that is older than PostgreSQL's. Resolves to the entries copied; throws only if
   * PostgreSQL fails.
   */
  syncOnce(): Promise<number>;
  status(): VersionedSessionStorageStatus;
  readonly breaker: Breaker;
}

const REDIS_TTL_MS_DEFAULT = 7 * 24 * 60 * 60_000;
const SYNC_INTERVAL_MS_DEFAULT = 1_000;
/** The version Redis records for "no session at all", below every real version (which start at 1). */
const ABSENT_VERSION = 0n;
/**
 * grammY writes a session back after every update that read it, changed or not. A write of exactly
 * what this process read for the key moments ago is skipped; entries older than this are not
 * trusted, since another process may have written since.
 */
const UNCHANGED_WRITE_SKIP_MS = 10_000;
/** Keys whose last read is remembered for that comparison; the oldest are forgotten first. */
const LAST_READS_MAX = 10_000;
/** Keys one SCAN step asks Redis for while reconciling. */
const RECONCILE_SCAN_COUNT = 500;

type RedisRead = { readonly kind: 'hit'; readonly entry: RedisSessionEntry } | { readonly kind: 'miss' } | { readonly kind: 'unavailable' };

/**
 * Creates the session storage.
 *
 * @example
 * const storage = createVersionedSessionStorage<DialogState>({ db: database.db, redis: context.redis, logger });
 * storage.start();
 * context.onShutdown('session sync', () => storage.stop());
 * bot.use(session({ initial: () => ({}), storage }));
 */
export function createVersionedSessionStorage<T>(options: VersionedSessionStorageOptions): VersionedSessionStorage<T> {
  const keyPrefix = options.redisKeyPrefix ?? 'session:';
  const ttlMs = options.redisTtlMs ?? REDIS_TTL_MS_DEFAULT;
  const logger = options.logger;
  const sessionRedis: SessionRedis | undefined = options.redis ? createSessionRedis(options.redis) : undefined;
  const breaker = createCircuitBreaker({
    name: 'session-redis',
    consecutiveFailures: options.breakerFailures ?? 3,
    halfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 2_000,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  breaker.onStateChange((state) => {
    if (state === 'open') logger.warn('session storage: redis unreachable, sessions served from PostgreSQL');
    if (state === 'closed') logger.info('session storage: redis reachable again');
  });

  // Unknown at start (an earlier process may have left rows), so the first pass decides.
  let mayHaveUnsynced = Boolean(sessionRedis);
  // A Redis that restarted from an old snapshot holds old copies PostgreSQL no longer marks; they
  // are found by comparing every key Redis holds. Also unknown at start.
  let redisSuspect = Boolean(sessionRedis);
  let reconnectEpoch = 0;
  let reconcilePasses = 0;
  const unsubscribeReconnect = sessionRedis?.onReconnect(() => {
    reconnectEpoch += 1;
    redisSuspect = true;
    logger.info('session storage: redis reconnected; its copies are checked against PostgreSQL');
  });
  // Bumped on every write Redis missed, so a pass that started earlier cannot clear the flag.
  let missedEpoch = 0;
  let syncedTotal = 0;
  let loop: SupervisedLoop | undefined;

  const redisKey = (key: string): string => `${keyPrefix}${key}`;
  const now = options.now ?? Date.now;
  const lastReads = new Map<string, { json: string | null; atMs: number }>();
  function rememberRead(key: string, json: string | null): void {
    lastReads.delete(key);
    if (lastReads.size >= LAST_READS_MAX) {
      const oldest = lastReads.keys().next();
      if (!oldest.done) lastReads.delete(oldest.value);
    }
    lastReads.set(key, { json, atMs: now() });
  }

  async function redisGet(key: string): Promise<RedisRead> {
    if (!sessionRedis) return { kind: 'unavailable' };
    try {
      const entry = await breaker.execute(() => sessionRedis.get(redisKey(key)));
      return entry ? { kind: 'hit', entry } : { kind: 'miss' };
    } catch (error) {
      logger.debug({ err: error, key }, 'session read from redis failed');
      return { kind: 'unavailable' };
    }
  }

  /**
   * Copies `entry` into Redis: `stored`, or `current` when Redis already held this version or a
   * newer one (as good), or `failed` when Redis could not be reached.
   */
  async function redisPut(key: string, entry: RedisSessionEntry): Promise<'stored' | 'current' | 'failed'> {
    if (!sessionRedis) return 'failed';
    try {
      return (await breaker.execute(() => sessionRedis.compareAndSet(redisKey(key), entry, ttlMs))) ? 'stored' : 'current';
    } catch (error) {
      logger.debug({ err: error, key }, 'session write to redis failed');
      return 'failed';
    }
  }

  const entryOf = (row: StoredSession): RedisSessionEntry => ({ version: row.version, json: row.value === null ? null : JSON.stringify(row.value) });

  /**
   * Moves one PostgreSQL row into Redis and clears its mark; `failed` when Redis did not take it,
   * `gone` when the row was purged meanwhile (then nothing is copied).
   */
  async function syncRow(row: StoredSession): Promise<'stored' | 'current' | 'failed' | 'gone'> {
    if (!sessionRedis) return 'failed';
    if (!(await touchSessionsForCopy(options.db, [row.key])).has(row.key)) return 'gone';
    const outcome = await redisPut(row.key, entryOf(row));
    if (outcome !== 'failed' && row.needsSync) await markSessionSynced(options.db, row.key, row.version);
    return outcome;
  }

  function valueOf(json: string | null): T | undefined {
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async function read(key: string): Promise<T | undefined> {
    const value = await readNewest(key);
    rememberRead(key, value === undefined ? null : JSON.stringify(value));
    return value;
  }

  async function readNewest(key: string): Promise<T | undefined> {
    const cached = await redisGet(key);
    if (cached.kind === 'hit' && !mayHaveUnsynced && !redisSuspect) return valueOf(cached.entry.json);
    if (cached.kind === 'unavailable') {
      const row = await readSession(options.db, key);
      return row ? (row.value === null ? undefined : (row.value as T)) : undefined;
    }
    // A miss (Redis restarted empty, or the key expired there) or a copy that may be older than
    // PostgreSQL's: PostgreSQL decides, and Redis gets the newer entry for the next read.
    const row = await readSession(options.db, key);
    if (!row) {
      // Every version is written to PostgreSQL first: a copy without a row is not a session (a
      // restored snapshot older than a purge); it is dropped, and a miss records "no session".
      if (cached.kind === 'miss') await redisPut(key, { version: ABSENT_VERSION, json: null });
      else if (sessionRedis) await breaker.execute(() => sessionRedis.remove(redisKey(key))).catch(() => undefined);
      return undefined;
    }
    if (cached.kind === 'hit' && cached.entry.version >= row.version) return valueOf(cached.entry.json);
    // Purged between the read and the copy: the session no longer exists.
    if ((await syncRow(row)) === 'gone') return undefined;
    return row.value === null ? undefined : (row.value as T);
  }

  async function store(key: string, value: T | null): Promise<void> {
    const json = value === null ? null : JSON.stringify(value);
    const lastRead = lastReads.get(key);
    lastReads.delete(key);
    if (lastRead && lastRead.json === json && now() - lastRead.atMs < UNCHANGED_WRITE_SKIP_MS) return;
    const version = await writeSessionVersion(options.db, key, value);
    if ((await redisPut(key, { version, json })) !== 'failed') {
      await markSessionSynced(options.db, key, version);
      return;
    }
    if (!sessionRedis) return;
    missedEpoch += 1;
    mayHaveUnsynced = true;
  }

  /** Copies every row marked needs_sync; undefined when Redis stopped taking them. */
  async function copyUnsynced(): Promise<number | undefined> {
    const epoch = missedEpoch;
    let copied = 0;
    for (;;) {
      const rows = await listUnsyncedSessions(options.db, SESSION_SYNC_BATCH_MAX);
      for (const row of rows) {
        const outcome = await syncRow(row);
        if (outcome === 'failed') return undefined;
        // `current`: the writer's own copy got there first; only real copies are counted.
        if (outcome === 'stored') copied += 1;
      }
      if (rows.length < SESSION_SYNC_BATCH_MAX) break;
    }
    if (epoch === missedEpoch) mayHaveUnsynced = false;
    return copied;
  }

  /**
   * Compares every session Redis holds with PostgreSQL, unless this Redis run was checked already
   * (a reconnection without a restart loses nothing Redis held); undefined when Redis failed.
   */
  async function reconcileRedis(redis: SessionRedis): Promise<number | undefined> {
    const epoch = reconnectEpoch;
    let runId: string | undefined;
    try {
      runId = await breaker.execute(() => redis.runId());
      if ((await breaker.execute(() => redis.verifiedRunId())) === runId) {
        if (epoch === reconnectEpoch) redisSuspect = false;
        return 0;
      }
    } catch (error) {
      // Without INFO (a restricted Redis) every reconnection is checked in full.
      logger.debug({ err: error }, 'session storage: redis run id unknown');
    }
    reconcilePasses += 1;
    let copied = 0;
    let cursor = '0';
    do {
      let step: { cursor: string; keys: string[] };
      try {
        step = await breaker.execute(() => redis.scan(cursor, keyPrefix, RECONCILE_SCAN_COUNT));
      } catch {
        return undefined;
      }
      cursor = step.cursor;
      for (let start = 0; start < step.keys.length; start += SESSION_READ_KEYS_MAX) {
        const keys = step.keys.slice(start, start + SESSION_READ_KEYS_MAX);
        const rows = await readSessions(options.db, keys);
        // A copy without a row (a snapshot older than a purge, or a key no version was ever written
        // for) is dropped: a read then asks PostgreSQL, which knows the session does not exist.
        const stored = new Set(rows.map((row) => row.key));
        for (const key of keys.filter((candidate) => !stored.has(candidate))) {
          try {
            await breaker.execute(() => redis.remove(redisKey(key)));
          } catch {
            return undefined;
          }
        }
        const present = await touchSessionsForCopy(options.db, rows.map((row) => row.key));
        for (const row of rows) {
          // Purged since it was read: the copy goes, a later read finds no session.
          if (!present.has(row.key)) {
            try {
              await breaker.execute(() => redis.remove(redisKey(row.key)));
            } catch {
              return undefined;
            }
            continue;
          }
          // The compare-and-set leaves every copy that is as new as PostgreSQL's untouched.
          const outcome = await redisPut(row.key, entryOf(row));
          if (outcome === 'failed') return undefined;
          if (outcome === 'stored') copied += 1;
        }
      }
    } while (cursor !== '0');
    if (epoch !== reconnectEpoch) return copied;
    redisSuspect = false;
    if (runId !== undefined) {
      const checkedRunId = runId;
      await breaker.execute(() => redis.setVerifiedRunId(checkedRunId)).catch(() => undefined);
    }
    return copied;
  }

  async function syncOnce(): Promise<number> {
    if (!sessionRedis) return 0;
    const copied = await copyUnsynced();
    if (copied === undefined) return 0;
    let checked = 0;
    if (redisSuspect) checked = (await reconcileRedis(sessionRedis)) ?? 0;
    syncedTotal += copied;
    if (copied > 0 || checked > 0) logger.info({ copied, checked }, 'session storage: redis brought up to date from PostgreSQL');
    return copied;
  }

  const syncIntervalMs = options.syncIntervalMs ?? SYNC_INTERVAL_MS_DEFAULT;

  return {
    breaker,
    read,
    write: (key, value) => store(key, value),
    delete: (key) => store(key, null),
    syncOnce,
    status: () => ({ breaker: breaker.state(), mayHaveUnsynced, redisSuspect, syncedTotal, reconcilePasses }),
    start() {
      if (loop || !sessionRedis) return;
      loop = superviseLoop({
        name: 'session-sync',
        logger,
        ...(options.registry ? { registry: options.registry } : {}),
        delayMsInitial: syncIntervalMs,
        delayMsMax: Math.max(syncIntervalMs, 30_000),
        consecutiveErrorsAlert: 10,
        run: async (signal) => {
          while (!signal.aborted) {
            // Other processes' outage rows are picked up too, so every pass looks, not only ours.
            await syncOnce();
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, syncIntervalMs);
              signal.addEventListener('abort', () => {
                clearTimeout(timer);
                resolve();
              }, { once: true });
            });
          }
        },
      });
    },
    async stop(timeoutMs) {
      unsubscribeReconnect?.();
      const running = loop;
      loop = undefined;
      await running?.stop(timeoutMs);
    },
  };
}
