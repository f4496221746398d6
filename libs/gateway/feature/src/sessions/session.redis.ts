import type { Redis } from 'ioredis';

// The Redis side of the session storage: one hash per session, `v` the version PostgreSQL assigned
// and `d` the JSON value ('' for a deletion). Redis only ever takes a version newer than the one it
// holds, in one atomic script, so a late copy of an older version can never replace a newer one.

/** A session entry as Redis holds it; `json` null is a deletion. */
export interface RedisSessionEntry {
  readonly version: bigint;
  readonly json: string | null;
}

// Lua, because the compare and the set must be one step: a WATCH/MULTI round trip per write would
// cost three round trips and still race with the sync. Versions stay far below 2^53, where Lua's
// numbers are exact.
const COMPARE_AND_SET_LUA = `
local current = redis.call('HGET', KEYS[1], 'v')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

const COMMAND_NAME = 'strongboxSessionCas';
/**
 * Outside the `session:` keys on purpose: a Redis restored from a snapshot restores this key too,
 * but with the run_id of the Redis that wrote it, never its own.
 */
const VERIFIED_RUN_ID_KEY = 'session-meta:verified-run-id';

type RedisWithCas = Redis & {
  [COMMAND_NAME](key: string, version: string, json: string, ttlMs: string): Promise<number>;
};

/** Session reads and compare-and-set writes on one ioredis client (which may carry a key prefix). */
export interface SessionRedis {
  /** The entry under `key`, or undefined when Redis holds none. */
  get(key: string): Promise<RedisSessionEntry | undefined>;
  /**
   * Stores `entry` unless Redis already holds this version or a newer one. Resolves true when it
   * stored the entry, false when Redis held the same or a newer version (which is as good).
   */
  compareAndSet(key: string, entry: RedisSessionEntry, ttlMs: number): Promise<boolean>;
  /**
   * One SCAN step over the keys starting with `prefix` (inside the client's own key prefix);
   * returns the next cursor ('0' when done) and the keys without either prefix.
   */
  scan(cursor: string, prefix: string, count: number): Promise<{ cursor: string; keys: string[] }>;
  /** Removes the copy of `key` (PostgreSQL has no row for it); a later read fills it again. */
  remove(key: string): Promise<void>;
  /** The server's `run_id`: a new one on every Redis start, whatever data it loads. */
  runId(): Promise<string>;
  /** The run_id whose session copies a pass has fully checked against PostgreSQL, if any. */
  verifiedRunId(): Promise<string | null>;
  setVerifiedRunId(runId: string): Promise<void>;
  /**
   * Calls `listener` each time the client is ready again after losing its connection: Redis may
   * have restarted, empty or from an old snapshot. Returns the unsubscribe function.
   */
  onReconnect(listener: () => void): () => void;
}

/** Wraps `redis` (defining the script command once; ioredis runs it by SHA and loads it on a miss). */
export function createSessionRedis(redis: Redis): SessionRedis {
  const client = redis as RedisWithCas;
  if (typeof client[COMMAND_NAME] !== 'function') {
    redis.defineCommand(COMMAND_NAME, { numberOfKeys: 1, lua: COMPARE_AND_SET_LUA });
  }
  return {
    async get(key) {
      const [version, json] = await redis.hmget(key, 'v', 'd');
      if (version === null || version === undefined) return undefined;
      return { version: BigInt(version), json: json === null || json === undefined || json === '' ? null : json };
    },
    async compareAndSet(key, entry, ttlMs) {
      const stored = await client[COMMAND_NAME](key, entry.version.toString(), entry.json ?? '', String(ttlMs));
      return stored === 1;
    },
    async scan(cursor, prefix, count) {
      // ioredis prefixes the keys of commands but not SCAN's pattern nor the keys it returns.
      const clientPrefix = redis.options.keyPrefix ?? '';
      const [next, found] = await redis.scan(cursor, 'MATCH', `${escapeGlob(clientPrefix + prefix)}*`, 'COUNT', count);
      const strip = clientPrefix.length + prefix.length;
      return { cursor: next, keys: found.map((key) => key.slice(strip)) };
    },
    async remove(key) {
      await redis.del(key);
    },
    async runId() {
      const info = await redis.info('server');
      const match = /^run_id:([0-9a-f]+)\r?$/m.exec(info);
      if (!match?.[1]) throw new Error('redis INFO server has no run_id');
      return match[1];
    },
    verifiedRunId: () => redis.get(VERIFIED_RUN_ID_KEY),
    async setVerifiedRunId(runId) {
      await redis.set(VERIFIED_RUN_ID_KEY, runId);
    },
    onReconnect(listener) {
      let disconnected = false;
      const onClose = (): void => {
        disconnected = true;
      };
      const onReady = (): void => {
        if (!disconnected) return;
        disconnected = false;
        listener();
      };
      redis.on('close', onClose);
      redis.on('ready', onReady);
      return () => {
        redis.off('close', onClose);
        redis.off('ready', onReady);
      };
    },
  };
}

/** `pattern` with Redis glob metacharacters escaped, so a prefix matches only itself. */
function escapeGlob(pattern: string): string {
  return pattern.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}
