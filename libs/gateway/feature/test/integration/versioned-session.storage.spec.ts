// Proves the session storage against real servers: the shared PostgreSQL and a private
// redis-server that each test kills and restarts. Every write lands in PostgreSQL with a version
// one higher than the last and is copied into Redis; with Redis down, writes and reads go on from
// PostgreSQL (rows marked needs_sync); after a restart the sync copies them back with a
// compare-and-set on the version. A Redis that returns empty, or holding OLD copies (planted the
// way a stale snapshot would hold them), never makes a read return older data, and the sync
// replaces the old copies (a full check runs after a restart of Redis, not after a reconnection to
// the same run), and a copy PostgreSQL has no row for is never served; a deletion during an outage
// is not resurrected; a write racing the
// sync is not overwritten. A random sequence of writes, deletes, outages, stale restores and syncs
// (fast-check) always reads back the last value written.
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisKeyPrefix } from '@strongbox/shared-contracts';
import { waitFor } from '@strongbox/shared-testing';
import { createVersionedSessionStorage, type VersionedSessionStorage } from '../../src/index';
import { createSessionRedis } from '../../src/sessions/session.redis';
import { freshGatewayDatabase, privateRedisUnderTest, testLogger, type GatewayTestDatabase, type RedisUnderTest } from '../support/gateway.harness';

interface Dialog {
  readonly step: string;
  readonly amount?: string;
}

let pg: GatewayTestDatabase;
let redis: RedisUnderTest;
const storages: VersionedSessionStorage<Dialog>[] = [];

beforeAll(async () => {
  pg = await freshGatewayDatabase('gws');
  redis = await privateRedisUnderTest(pg.namespace);
});

afterAll(async () => {
  await redis?.dispose();
  await pg?.dispose();
});

afterEach(async () => {
  for (const storage of storages.splice(0)) await storage.stop();
  // Each test leaves Redis running for the next one.
  if (redis.client.status !== 'ready') {
    await redis.server.restart();
    await redis.waitUntilReady();
  }
});

let keyCounter = 0;
const freshKey = (): string => `chat-${Date.now()}-${(keyCounter += 1)}`;

function newStorage(): VersionedSessionStorage<Dialog> {
  const storage = createVersionedSessionStorage<Dialog>({
    db: pg.database.db,
    redis: redis.client,
    logger: testLogger,
    breakerFailures: 1,
    breakerHalfOpenAfterMs: 100,
    syncIntervalMs: 50,
  });
  storages.push(storage);
  return storage;
}

async function pgRow(key: string): Promise<{ value: unknown; version: bigint; needs_sync: boolean } | undefined> {
  const rows = await pg.sql<{ value: unknown; version: string; needs_sync: boolean }[]>`select value, version, needs_sync from sessions where key = ${key}`;
  const row = rows[0];
  return row ? { value: row.value, version: BigInt(row.version), needs_sync: row.needs_sync } : undefined;
}

const fullRedisKey = (key: string): string => `${redisKeyPrefix(pg.namespace, 'bot-gateway')}session:${key}`;

async function redisEntry(key: string): Promise<{ version: bigint; value: unknown } | undefined> {
  const raw = redis.raw();
  const [version, json] = await raw.hmget(fullRedisKey(key), 'v', 'd');
  raw.disconnect();
  if (version === null || version === undefined) return undefined;
  return { version: BigInt(version), value: json ? JSON.parse(json) : null };
}

/** Plants what a Redis restored from an older snapshot would hold. */
async function plantStale(key: string, version: bigint, value: Dialog): Promise<void> {
  const raw = redis.raw();
  await raw.hset(fullRedisKey(key), 'v', version.toString(), 'd', JSON.stringify(value));
  raw.disconnect();
}

async function killRedis(): Promise<void> {
  await redis.server.kill();
}

async function restartRedis(): Promise<void> {
  await redis.server.restart();
  await redis.waitUntilReady();
}

describe('versioned session storage', () => {
  it('writes each change to PostgreSQL with the next version and copies it into Redis', async () => {
    const storage = newStorage();
    await storage.syncOnce();
    const key = freshKey();
    expect(await storage.read(key)).toBeUndefined();

    await storage.write(key, { step: 'amount' });
    await storage.write(key, { step: 'address', amount: '10.5' });
    expect(await storage.read(key)).toEqual({ step: 'address', amount: '10.5' });
    expect(await pgRow(key)).toEqual({ value: { step: 'address', amount: '10.5' }, version: 2n, needs_sync: false });
    expect(await redisEntry(key)).toEqual({ version: 2n, value: { step: 'address', amount: '10.5' } });

    await storage.delete(key);
    expect(await storage.read(key)).toBeUndefined();
    expect(await pgRow(key)).toEqual({ value: null, version: 3n, needs_sync: false });
    expect(await redisEntry(key)).toEqual({ version: 3n, value: null });
  });

  it('goes on from PostgreSQL while Redis is down and copies the writes back when it returns empty', async () => {
    const storage = newStorage();
    await storage.syncOnce();
    const key = freshKey();
    await storage.write(key, { step: 'amount' });

    await killRedis();
    expect(await storage.read(key)).toEqual({ step: 'amount' });
    await storage.write(key, { step: 'address', amount: '7' });
    expect(await storage.read(key)).toEqual({ step: 'address', amount: '7' });
    expect(await pgRow(key)).toMatchObject({ version: 2n, needs_sync: true });
    expect(storage.status().mayHaveUnsynced).toBe(true);
    expect(await storage.syncOnce()).toBe(0);

    await restartRedis();
    expect(await redisEntry(key)).toBeUndefined();
    // Before any sync, a read already gets the newest version (from PostgreSQL).
    expect(await storage.read(key)).toEqual({ step: 'address', amount: '7' });
    await storage.syncOnce();
    expect(await redisEntry(key)).toEqual({ version: 2n, value: { step: 'address', amount: '7' } });
    expect(await pgRow(key)).toMatchObject({ version: 2n, needs_sync: false });
    expect(storage.status()).toMatchObject({ mayHaveUnsynced: false, redisSuspect: false, breaker: 'closed' });
  });

  it('never serves the OLD copies of a Redis that returns from an old snapshot, and replaces them', async () => {
    const storage = newStorage();
    await storage.syncOnce();
    const unsynced = freshKey();
    const synced = freshKey();
    await storage.write(unsynced, { step: 'amount' });
    await storage.write(synced, { step: 'amount' });
    await storage.write(synced, { step: 'address', amount: '3' });
    expect(await pgRow(synced)).toMatchObject({ version: 2n, needs_sync: false });

    await killRedis();
    await storage.write(unsynced, { step: 'address', amount: '9' });
    await restartRedis();
    // What a snapshot from before the last writes holds: version 1 of both keys.
    await plantStale(unsynced, 1n, { step: 'amount' });
    await plantStale(synced, 1n, { step: 'amount' });
    expect(storage.status().redisSuspect).toBe(true);

    expect(await storage.read(unsynced)).toEqual({ step: 'address', amount: '9' });
    expect(await storage.read(synced)).toEqual({ step: 'address', amount: '3' });
    await storage.syncOnce();
    expect(await redisEntry(unsynced)).toEqual({ version: 2n, value: { step: 'address', amount: '9' } });
    expect(await redisEntry(synced)).toEqual({ version: 2n, value: { step: 'address', amount: '3' } });
    expect(storage.status()).toMatchObject({ mayHaveUnsynced: false, redisSuspect: false });
    // With Redis trusted again, reads come from Redis and are still the newest.
    expect(await storage.read(unsynced)).toEqual({ step: 'address', amount: '9' });
  });

  it('checks every copy only when Redis restarted, not after a reconnection to the same Redis run', async () => {
    const first = newStorage();
    await first.syncOnce();
    // A second process finds this Redis run checked already.
    const second = newStorage();
    await second.syncOnce();
    expect(second.status()).toMatchObject({ redisSuspect: false, reconcilePasses: 0 });

    // A dropped connection to the same server: nothing Redis held was lost.
    redis.client.disconnect(true);
    await redis.waitUntilReady();
    await waitFor(() => first.status().redisSuspect, { timeoutMs: 5_000, description: 'the reconnection noticed' });
    await first.syncOnce();
    expect(first.status()).toMatchObject({ redisSuspect: false });
    const passes = first.status().reconcilePasses;

    await killRedis();
    await restartRedis();
    await first.syncOnce();
    expect(first.status()).toMatchObject({ redisSuspect: false, reconcilePasses: passes + 1 });
  });

  it('drops a restored copy for which PostgreSQL has no row', async () => {
    const storage = newStorage();
    await storage.syncOnce();
    const key = freshKey();
    await killRedis();
    await restartRedis();
    await plantStale(key, 4n, { step: 'confirm', amount: '9' });
    expect(await storage.read(key)).toBeUndefined();
    await storage.syncOnce();
    expect(storage.status().redisSuspect).toBe(false);
    const entry = await redisEntry(key);
    expect(entry === undefined || entry.value === null).toBe(true);
    expect(await storage.read(key)).toBeUndefined();
  });

  it('does not resurrect a session deleted while Redis was down', async () => {
    const storage = newStorage();
    await storage.syncOnce();
    const key = freshKey();
    await storage.write(key, { step: 'confirm', amount: '5' });
    await killRedis();
    await storage.delete(key);
    await restartRedis();
    await plantStale(key, 1n, { step: 'confirm', amount: '5' });
    expect(await storage.read(key)).toBeUndefined();
    await storage.syncOnce();
    expect(await redisEntry(key)).toEqual({ version: 2n, value: null });
    expect(await storage.read(key)).toBeUndefined();
  });

  it('never lets an older version replace a newer one in Redis (compare-and-set)', async () => {
    const sessionRedis = createSessionRedis(redis.client);
    const key = `session:${freshKey()}`;
    expect(await sessionRedis.compareAndSet(key, { version: 2n, json: '{"step":"address"}' }, 60_000)).toBe(true);
    // A sync pass that listed version 1 before the newer write arrives late.
    expect(await sessionRedis.compareAndSet(key, { version: 1n, json: '{"step":"amount"}' }, 60_000)).toBe(false);
    expect(await sessionRedis.compareAndSet(key, { version: 2n, json: '{"step":"other"}' }, 60_000)).toBe(false);
    expect(await sessionRedis.get(key)).toEqual({ version: 2n, json: '{"step":"address"}' });
    expect(await sessionRedis.compareAndSet(key, { version: 3n, json: null }, 60_000)).toBe(true);
    expect(await sessionRedis.get(key)).toEqual({ version: 3n, json: null });
  });

  it('a write made after Redis returned survives the sync of the outage rows', async () => {
    const storage = newStorage();
    await storage.syncOnce();
    const key = freshKey();
    await killRedis();
    await storage.write(key, { step: 'amount' });
    await restartRedis();
    await storage.write(key, { step: 'address', amount: '1' });
    await storage.syncOnce();
    expect(await redisEntry(key)).toEqual({ version: 2n, value: { step: 'address', amount: '1' } });
    expect(await storage.read(key)).toEqual({ step: 'address', amount: '1' });
  });

  it('skips writing back exactly what was just read (grammY writes every session it read)', async () => {
    const storage = newStorage();
    await storage.syncOnce();
    const key = freshKey();
    await storage.write(key, { step: 'amount' });
    const read = await storage.read(key);
    await storage.write(key, read!);
    expect(await pgRow(key)).toMatchObject({ version: 1n });
    await storage.read(key);
    await storage.write(key, { step: 'address' });
    expect(await pgRow(key)).toMatchObject({ version: 2n, value: { step: 'address' } });
    // Without a read just before, an identical write is not skipped.
    await storage.write(key, { step: 'address' });
    expect(await pgRow(key)).toMatchObject({ version: 3n });
  });

  it('keeps running on PostgreSQL alone without Redis', async () => {
    const storage = createVersionedSessionStorage<Dialog>({ db: pg.database.db, redis: undefined, logger: testLogger });
    const key = freshKey();
    await storage.write(key, { step: 'amount' });
    expect(await storage.read(key)).toEqual({ step: 'amount' });
    expect(await pgRow(key)).toMatchObject({ version: 1n });
    expect(storage.status()).toMatchObject({ mayHaveUnsynced: false, redisSuspect: false });
  });

  it('always reads the last value written, through any sequence of outages, stale restores and syncs', async () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), amount: fc.integer({ min: 1, max: 999 }) }),
      fc.record({ kind: fc.constant('delete' as const) }),
      fc.record({ kind: fc.constant('kill' as const) }),
      fc.record({ kind: fc.constant('restart' as const), stale: fc.boolean() }),
      fc.record({ kind: fc.constant('sync' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
        if (redis.client.status !== 'ready') await restartRedis();
        const storage = newStorage();
        const key = freshKey();
        let expected: Dialog | undefined;
        const history: Dialog[] = [];
        let redisUp = true;
        for (const op of operations) {
          if (op.kind === 'write') {
            expected = { step: 'amount', amount: String(op.amount) };
            history.push(expected);
            await storage.write(key, expected);
          } else if (op.kind === 'delete') {
            expected = undefined;
            await storage.delete(key);
          } else if (op.kind === 'kill' && redisUp) {
            await killRedis();
            redisUp = false;
          } else if (op.kind === 'restart' && !redisUp) {
            await restartRedis();
            redisUp = true;
            const oldest = history[0];
            if (op.stale && oldest) await plantStale(key, 1n, oldest);
          } else if (op.kind === 'sync') {
            await storage.syncOnce();
          }
          expect(await storage.read(key)).toEqual(expected);
        }
        if (!redisUp) await restartRedis();
        await storage.syncOnce();
        expect(await storage.read(key)).toEqual(expected);
        const row = await pgRow(key);
        if (row) {
          const entry = await redisEntry(key);
          expect(entry).toEqual({ version: row.version, value: row.value });
        }
        await storage.stop();
      }),
      { numRuns: 8 },
    );
  });
});
