// Proves the gateway housekeeping against the shared PostgreSQL (and a private Redis for the session
// storage): one pass deletes, in chunks, the button intents claimed longer ago than the maximum
// button age plus the margin and the sessions idle for longer than the Redis TTL plus the margin,
// counting both; younger rows and rows waiting for the Redis sync (needs_sync) stay, however old. A
// session row that was idle but whose copy was just put back into Redis (a read after the copy
// expired) counts as fresh, so no copy outlives its row, and a write after the pass reads back.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeyPrefix } from '@strongbox/shared-contracts';
import {
  BUTTON_MAX_AGE_MS_DEFAULT,
  createVersionedSessionStorage,
  HOUSEKEEPING_MARGIN_MS,
  startGatewayHousekeeping,
  type GatewayHousekeeping,
} from '../../src/index';
import { freshGatewayDatabase, privateRedisUnderTest, testLogger, type GatewayTestDatabase, type RedisUnderTest } from '../support/gateway.harness';

const HOUR_MS = 60 * 60_000;
const SESSION_TTL_MS = 7 * 24 * HOUR_MS;
/** The intent and session limits the housekeeping applies. */
const INTENT_LIMIT_MS = BUTTON_MAX_AGE_MS_DEFAULT + HOUSEKEEPING_MARGIN_MS;
const SESSION_LIMIT_MS = SESSION_TTL_MS + HOUSEKEEPING_MARGIN_MS;

let pg: GatewayTestDatabase;
let redis: RedisUnderTest;
let registry: Registry;
let housekeeping: GatewayHousekeeping;

beforeAll(async () => {
  pg = await freshGatewayDatabase('gwh');
  redis = await privateRedisUnderTest(pg.namespace);
  registry = new Registry();
  // The loop's own pass waits an hour; the test runs passes itself.
  housekeeping = startGatewayHousekeeping({
    db: pg.database.db,
    logger: testLogger,
    registry,
    buttonMaxAgeMs: BUTTON_MAX_AGE_MS_DEFAULT,
    sessionRedisTtlMs: SESSION_TTL_MS,
    intervalMs: HOUR_MS,
    chunkSize: 2,
  });
});

afterAll(async () => {
  await housekeeping?.stop(5_000);
  await redis?.dispose();
  await pg?.dispose();
});

async function plantIntent(intentId: string, ageMs: number): Promise<void> {
  await pg.sql`insert into button_intents (intent_id, telegram_user_id, action, outcome, used_at)
    values (${intentId}, 1, 'wd.confirm', '{"value": null}', now() - ${ageMs}::double precision * interval '1 millisecond')`;
}

async function plantSession(key: string, ageMs: number, options: { needsSync?: boolean; deleted?: boolean } = {}): Promise<void> {
  const value = options.deleted ? null : JSON.stringify({ step: key });
  await pg.sql`insert into sessions (key, value, version, needs_sync, updated_at)
    values (${key}, ${value}::jsonb, 3, ${options.needsSync ?? false}, now() - ${ageMs}::double precision * interval '1 millisecond')`;
}

async function purgedCount(table: string): Promise<number> {
  const metric = await registry.getSingleMetric('strongbox_housekeeping_rows_purged_total')?.get();
  return metric?.values.find((value) => value.labels['table'] === table)?.value ?? 0;
}

describe('gateway housekeeping', () => {
  it('deletes intents and idle sessions past their limits, in chunks, and keeps younger and needs_sync rows', async () => {
    const oldIntents = ['old-1', 'old-2', 'old-3', 'old-4', 'old-5'];
    for (const id of oldIntents) await plantIntent(id, INTENT_LIMIT_MS + HOUR_MS);
    await plantIntent('young', INTENT_LIMIT_MS - HOUR_MS);
    await plantIntent('fresh', 0);
    await plantSession('idle-1', SESSION_LIMIT_MS + HOUR_MS);
    await plantSession('idle-2', SESSION_LIMIT_MS + 2 * HOUR_MS);
    await plantSession('idle-deleted', SESSION_LIMIT_MS + HOUR_MS, { deleted: true });
    await plantSession('idle-unsynced', SESSION_LIMIT_MS + 30 * 24 * HOUR_MS, { needsSync: true });
    await plantSession('young', SESSION_LIMIT_MS - HOUR_MS);
    const intentsBefore = await purgedCount('button_intents');
    const sessionsBefore = await purgedCount('sessions');

    const pass = await housekeeping.purgeOnce();

    expect(pass).toEqual({ buttonIntents: oldIntents.length, sessions: 3 });
    expect((await pg.sql`select intent_id from button_intents order by intent_id`).map((row) => row['intent_id'])).toEqual(['fresh', 'young']);
    expect((await pg.sql`select key from sessions order by key`).map((row) => row['key'])).toEqual(['idle-unsynced', 'young']);
    expect(await purgedCount('button_intents')).toBe(intentsBefore + oldIntents.length);
    expect(await purgedCount('sessions')).toBe(sessionsBefore + 3);
    expect(await housekeeping.purgeOnce()).toEqual({ buttonIntents: 0, sessions: 0 });
  });

  it('keeps an idle session whose copy was just put back into Redis, and a write after the pass reads back', async () => {
    const storage = createVersionedSessionStorage<{ step: string }>({ db: pg.database.db, redis: redis.client, logger: testLogger });
    try {
      const key = 'copied-again';
      await storage.write(key, { step: 'first' });
      // The row has been idle past the limit and Redis's copy has expired ...
      await pg.sql`update sessions set updated_at = now() - ${SESSION_LIMIT_MS + HOUR_MS}::double precision * interval '1 millisecond' where key = ${key}`;
      const raw = redis.raw();
      await raw.del(`${redisKeyPrefix(pg.namespace, 'bot-gateway')}session:${key}`);
      // ... then the user comes back: the read copies the row into Redis again, for another TTL.
      expect(await storage.read(key)).toEqual({ step: 'first' });
      const copy = await raw.hmget(`${redisKeyPrefix(pg.namespace, 'bot-gateway')}session:${key}`, 'v', 'd');
      expect(copy[0]).toBe('1');
      raw.disconnect();

      await housekeeping.purgeOnce();
      // Deleting the row here would leave Redis's version 1 above a new row's, and the write below lost.
      expect(await pg.sql`select version from sessions where key = ${key}`).toEqual([{ version: '1' }]);
      await storage.write(key, { step: 'second' });
      expect(await storage.read(key)).toEqual({ step: 'second' });
    } finally {
      await storage.stop();
    }
  });
});
