// Proves executeIdempotent and purgeIdempotencyKeys against the real PostgreSQL, each test in its own
// migrated random schema (the fixture migrations include idempotency_keys), one semantic per test:
// a new key runs the work and commits the key with its effects; the same key and body replay the
// first response (a remembered failure included) without running the work; another body is a
// conflict that changes nothing; a throw rolls back key and effects so a retry runs again; a
// concurrent duplicate waits on the key (seen waiting in pg_stat_activity) and replays, or gets a
// transient IN_PROGRESS when its wait is shorter, or runs itself when the first rolled back; the
// same under repeatable read; responses that are not plain JSON, and malformed keys and scopes, are
// refused with nothing changed; purge deletes only keys older than the age, in chunks, never under 24 h.
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DbError,
  DbErrorCodes,
  executeIdempotent,
  idempotencyKeysTable,
  purgeIdempotencyKeys,
  requestHash,
  type Database,
  type DbExecutor,
  type IsolationLevel,
} from '../../src/index';
import { disposeDatabase, freshDatabase, testSchema, waitFor, type TestTables } from '../support/harness';

const databases: Array<Database<TestTables>> = [];

afterEach(async () => {
  for (const database of databases.splice(0)) await disposeDatabase(database);
});

async function fresh(): Promise<Database<TestTables>> {
  const database = await freshDatabase();
  databases.push(database);
  return database;
}

const HOUR_MS = 60 * 60 * 1_000;
const SCOPE = 'test.widget-create';
const KEY = 'key-0001-abcdef';

/** The effect of a test command: one widget row, so a second execution would show as a second row. */
async function createWidget(tx: DbExecutor, id: string, name: string): Promise<{ widgetId: string; name: string }> {
  await tx.insert(testSchema.widgetsTable).values({ id, name });
  return { widgetId: id, name };
}

async function widgets(database: Database<TestTables>): Promise<Array<{ id: string; name: string }>> {
  return database.db.select({ id: testSchema.widgetsTable.id, name: testSchema.widgetsTable.name }).from(testSchema.widgetsTable).orderBy(testSchema.widgetsTable.id);
}

async function keyRows(database: Database<TestTables>): Promise<Array<typeof idempotencyKeysTable.$inferSelect>> {
  return database.db.select().from(idempotencyKeysTable).orderBy(idempotencyKeysTable.scope, idempotencyKeysTable.key);
}

/** A promise and the function that resolves it, so a test decides when a work function may finish. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Resolves once some connection of `database` waits on a lock while inserting an idempotency key. */
async function duplicateIsWaiting(database: Database<TestTables>): Promise<void> {
  await waitFor(
    'a duplicate to wait on the idempotency key',
    async () => {
      const rows = await database.sql`
        select 1 from pg_stat_activity
        where datname = current_database() and application_name = ${`${database.schema}-test`}
          and wait_event_type = 'Lock' and query ilike '%insert into "idempotency_keys"%'`;
      return rows.length > 0;
    },
    { timeoutMs: 10_000 },
  );
}

async function rejection(promise: Promise<unknown>): Promise<DbError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DbError) return error;
    throw error;
  }
  throw new Error('expected a rejection, but the call resolved');
}

describe('executeIdempotent: one caller', () => {
  it('runs the work for a new key and commits the key row with its effects and response', async () => {
    const database = await fresh();
    const request = { name: 'first', amount: '1500000' };

    const result = await executeIdempotent(database, { scope: SCOPE, key: KEY, request, isolationLevel: 'read committed' }, (tx) =>
      createWidget(tx, 'w-1', request.name),
    );

    expect(result).toEqual({ replayed: false, response: { widgetId: 'w-1', name: 'first' } });
    expect(await widgets(database)).toEqual([{ id: 'w-1', name: 'first' }]);
    expect(await keyRows(database)).toEqual([
      expect.objectContaining({ scope: SCOPE, key: KEY, requestHash: requestHash(request), state: 'completed', response: { widgetId: 'w-1', name: 'first' } }),
    ]);
  });

  it('replays the first response for the same key and body without running the work again', async () => {
    const database = await fresh();
    const request = { name: 'once' };
    let runs = 0;
    const work = async (tx: DbExecutor): Promise<{ widgetId: string; name: string; run: number }> => {
      runs += 1;
      return { ...(await createWidget(tx, `w-${runs}`, request.name)), run: runs };
    };

    const first = await executeIdempotent(database, { scope: SCOPE, key: KEY, request }, work);
    // Same body, other key order: still the same request.
    const second = await executeIdempotent(database, { scope: SCOPE, key: KEY, request: { ...request } }, work);

    expect(first).toEqual({ replayed: false, response: { widgetId: 'w-1', name: 'once', run: 1 } });
    expect(second).toEqual({ replayed: true, response: first.response });
    expect(runs).toBe(1);
    expect(await widgets(database)).toEqual([{ id: 'w-1', name: 'once' }]);
  });

  it('replays a refusal returned as a value: a failure stays a failure even when the work would now succeed', async () => {
    const database = await fresh();
    const request = { name: 'limited' };
    let allowed = false;
    const work = async (tx: DbExecutor): Promise<{ ok: true; widgetId: string } | { ok: false; error: string }> => {
      if (!allowed) return { ok: false, error: 'TEST_ERR_LIMIT' };
      return { ok: true, widgetId: (await createWidget(tx, 'w-1', request.name)).widgetId };
    };

    const first = await executeIdempotent(database, { scope: SCOPE, key: KEY, request }, work);
    allowed = true;
    const retry = await executeIdempotent(database, { scope: SCOPE, key: KEY, request }, work);

    expect(first).toEqual({ replayed: false, response: { ok: false, error: 'TEST_ERR_LIMIT' } });
    expect(retry).toEqual({ replayed: true, response: { ok: false, error: 'TEST_ERR_LIMIT' } });
    expect(await widgets(database)).toEqual([]);
  });

  it('refuses the same key with another body as a conflict, and changes nothing', async () => {
    const database = await fresh();
    await executeIdempotent(database, { scope: SCOPE, key: KEY, request: { name: 'original' } }, (tx) => createWidget(tx, 'w-1', 'original'));
    const rowsBefore = await keyRows(database);
    let ranAgain = false;

    const error = await rejection(
      executeIdempotent(database, { scope: SCOPE, key: KEY, request: { name: 'changed' } }, async (tx) => {
        ranAgain = true;
        return createWidget(tx, 'w-2', 'changed');
      }),
    );

    expect(error).toMatchObject({ name: 'DbError', code: DbErrorCodes.idempotencyConflict, transient: false });
    expect(error.message).toContain(`${SCOPE}/${KEY}`);
    expect(ranAgain).toBe(false);
    expect(await widgets(database)).toEqual([{ id: 'w-1', name: 'original' }]);
    expect(await keyRows(database)).toEqual(rowsBefore);
  });

  it('treats the same key in another scope as another key', async () => {
    const database = await fresh();
    const first = await executeIdempotent(database, { scope: 'test.one', key: KEY, request: { n: 1 } }, (tx) => createWidget(tx, 'w-1', 'one'));
    const second = await executeIdempotent(database, { scope: 'test.two', key: KEY, request: { n: 2 } }, (tx) => createWidget(tx, 'w-2', 'two'));

    expect([first.replayed, second.replayed]).toEqual([false, false]);
    expect((await keyRows(database)).map((row) => row.scope)).toEqual(['test.one', 'test.two']);
  });

  it('rolls back the key with the effects when the work throws, so a retry with the key runs again', async () => {
    const database = await fresh();
    const request = { name: 'flaky' };

    await expect(
      executeIdempotent(database, { scope: SCOPE, key: KEY, request }, async (tx) => {
        await createWidget(tx, 'w-1', 'half done');
        throw new Error('connection lost mid-command');
      }),
    ).rejects.toThrow('connection lost mid-command');
    expect(await widgets(database)).toEqual([]);
    expect(await keyRows(database)).toEqual([]);

    const retry = await executeIdempotent(database, { scope: SCOPE, key: KEY, request }, (tx) => createWidget(tx, 'w-1', 'done'));
    expect(retry).toEqual({ replayed: false, response: { widgetId: 'w-1', name: 'done' } });
    expect(await widgets(database)).toEqual([{ id: 'w-1', name: 'done' }]);
  });

  it('returns the response as stored the first time too, so the first answer and every replay are the same', async () => {
    const database = await fresh();
    const work = async (): Promise<{ zeta: number; b?: string; nested: { list: Array<string | null> } }> => ({
      zeta: 1,
      b: undefined,
      nested: { list: ['x', null] },
    });

    const first = await executeIdempotent(database, { scope: SCOPE, key: KEY, request: {} }, work);
    const replay = await executeIdempotent(database, { scope: SCOPE, key: KEY, request: {} }, work);

    expect(first.response).toStrictEqual({ zeta: 1, nested: { list: ['x', null] } });
    expect(replay.response).toStrictEqual(first.response);
    // Down to key order, which jsonb normalises.
    expect(JSON.stringify(replay.response)).toBe(JSON.stringify(first.response));
  });

  it.each(['read committed', 'repeatable read', 'serializable'] as const)(
    'runs the work at the requested isolation level (%s), under the connection lock_timeout, not the key wait',
    async (isolationLevel: IsolationLevel) => {
      const database = await fresh();
      const result = await executeIdempotent(database, { scope: SCOPE, key: KEY, request: {}, isolationLevel, waitTimeoutMs: 1_234 }, async (tx) => {
        const [isolation] = await tx.execute<{ transaction_isolation: string }>(sql`show transaction_isolation`);
        const [lockTimeout] = await tx.execute<{ lock_timeout: string }>(sql`show lock_timeout`);
        return { isolation: isolation!.transaction_isolation, lockTimeout: lockTimeout!.lock_timeout };
      });
      expect(result.response).toEqual({ isolation: isolationLevel, lockTimeout: '0' });
    },
  );
});

describe('executeIdempotent: concurrent duplicates', () => {
  it('lets a duplicate wait for the running request and replay its response; the work runs once', async () => {
    const database = await fresh();
    const request = { name: 'concurrent' };
    const started = gate();
    const release = gate();
    let runs = 0;
    const work = async (tx: DbExecutor): Promise<{ widgetId: string; name: string }> => {
      runs += 1;
      started.open();
      await release.opened;
      return createWidget(tx, `w-${runs}`, request.name);
    };

    const first = executeIdempotent(database, { scope: SCOPE, key: KEY, request }, work);
    await started.opened;
    const second = executeIdempotent(database, { scope: SCOPE, key: KEY, request }, work);
    await duplicateIsWaiting(database);
    release.open();

    const results = await Promise.all([first, second]);
    expect(runs).toBe(1);
    expect(results.map((result) => result.replayed)).toEqual([false, true]);
    expect(results[1]!.response).toEqual(results[0]!.response);
    expect(await widgets(database)).toEqual([{ id: 'w-1', name: 'concurrent' }]);
  });

  it('gives the duplicate a transient IN_PROGRESS when its wait runs out first; nothing runs twice', async () => {
    const database = await fresh();
    const request = { name: 'slow' };
    const started = gate();
    const release = gate();
    let runs = 0;
    const work = async (tx: DbExecutor): Promise<{ widgetId: string; name: string }> => {
      runs += 1;
      started.open();
      await release.opened;
      return createWidget(tx, `w-${runs}`, request.name);
    };

    const first = executeIdempotent(database, { scope: SCOPE, key: KEY, request }, work);
    await started.opened;
    const waitStartedAt = performance.now();
    const error = await rejection(executeIdempotent(database, { scope: SCOPE, key: KEY, request, waitTimeoutMs: 100 }, work));
    const waitedMs = performance.now() - waitStartedAt;
    release.open();
    const firstResult = await first;

    expect(error).toMatchObject({ name: 'DbError', code: DbErrorCodes.idempotencyInProgress, transient: true });
    expect(waitedMs).toBeGreaterThanOrEqual(90);
    expect(runs).toBe(1);
    expect(firstResult.replayed).toBe(false);
    expect(await widgets(database)).toEqual([{ id: 'w-1', name: 'slow' }]);
    // The retry the error asks for gets the first response.
    expect(await executeIdempotent(database, { scope: SCOPE, key: KEY, request }, work)).toEqual({ replayed: true, response: firstResult.response });
    expect(runs).toBe(1);
  });

  it('lets the duplicate run the work itself when the first request rolls back', async () => {
    const database = await fresh();
    const request = { name: 'second chance' };
    const started = gate();
    const release = gate();
    let runs = 0;

    const first = executeIdempotent(database, { scope: SCOPE, key: KEY, request }, async (tx) => {
      runs += 1;
      await createWidget(tx, 'w-first', 'never committed');
      started.open();
      await release.opened;
      throw new Error('first attempt failed');
    });
    const firstSettled = first.then(
      () => 'resolved',
      (error: unknown) => (error instanceof Error ? error.message : 'rejected'),
    );
    await started.opened;
    const second = executeIdempotent(database, { scope: SCOPE, key: KEY, request }, async (tx) => {
      runs += 1;
      return createWidget(tx, 'w-second', request.name);
    });
    await duplicateIsWaiting(database);
    release.open();

    expect(await firstSettled).toBe('first attempt failed');
    expect(await second).toEqual({ replayed: false, response: { widgetId: 'w-second', name: 'second chance' } });
    expect(runs).toBe(2);
    expect(await widgets(database)).toEqual([{ id: 'w-second', name: 'second chance' }]);
    expect(await keyRows(database)).toHaveLength(1);
  });

  it.each(['repeatable read', 'serializable'] as const)(
    'replays for a duplicate under %s too (the key committed after its snapshot)',
    async (isolationLevel: IsolationLevel) => {
      const database = await fresh();
      const request = { name: isolationLevel };
      const started = gate();
      const release = gate();
      let runs = 0;
      const work = async (tx: DbExecutor): Promise<{ widgetId: string; name: string }> => {
        runs += 1;
        started.open();
        await release.opened;
        return createWidget(tx, `w-${runs}`, request.name);
      };

      const first = executeIdempotent(database, { scope: SCOPE, key: KEY, request, isolationLevel }, work);
      await started.opened;
      const second = executeIdempotent(database, { scope: SCOPE, key: KEY, request, isolationLevel }, work);
      await duplicateIsWaiting(database);
      release.open();

      const results = await Promise.all([first, second]);
      expect(runs).toBe(1);
      expect(results.map((result) => result.replayed)).toEqual([false, true]);
      expect(results[1]!.response).toEqual(results[0]!.response);
    },
  );

  it('runs the work once when many duplicates race', async () => {
    const database = await fresh();
    const request = { name: 'crowd' };
    let runs = 0;
    const callers = 4;
    const results = await Promise.all(
      Array.from({ length: callers }, () =>
        executeIdempotent(database, { scope: SCOPE, key: KEY, request }, async (tx) => {
          runs += 1;
          // Holds the key a moment so the other callers pile up on it.
          await tx.execute(sql`select pg_sleep(0.05)`);
          return createWidget(tx, `w-${runs}`, request.name);
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(new Set(results.map((result) => JSON.stringify(result.response))).size).toBe(1);
  });
});

describe('executeIdempotent: refusals', () => {
  it.each([
    { what: 'a bigint', response: { amount: 10n }, message: /response\.amount is a bigint.*decimal strings/ },
    { what: 'a Date', response: { at: new Date() }, message: /response\.at is a Date, not plain JSON/ },
    { what: 'undefined', response: undefined, message: /response is undefined/ },
    { what: 'NaN', response: { rate: Number.NaN }, message: /response\.rate is NaN/ },
    { what: 'more than 64 KiB', response: { blob: 'x'.repeat(70_000) }, message: /at most 65536 can be stored/ },
  ])('refuses a response holding $what, and rolls back the effects and the key', async ({ response, message }) => {
    const database = await fresh();
    const error = await rejection(
      executeIdempotent(database, { scope: SCOPE, key: KEY, request: {} }, async (tx) => {
        await createWidget(tx, 'w-1', 'rolled back');
        return response;
      }),
    );
    expect(error).toMatchObject({ code: DbErrorCodes.invalidArgument, transient: false });
    expect(error.message).toMatch(message);
    expect(await widgets(database)).toEqual([]);
    expect(await keyRows(database)).toEqual([]);
  });

  it.each([
    { what: 'a key of 7 characters', scope: SCOPE, key: 'short-7', code: DbErrorCodes.invalidArgument },
    { what: 'a key of 129 characters', scope: SCOPE, key: 'k'.repeat(129), code: DbErrorCodes.invalidArgument },
    { what: 'a key with a space', scope: SCOPE, key: 'key with space', code: DbErrorCodes.invalidArgument },
    { what: 'an empty scope', scope: '', key: KEY, code: DbErrorCodes.invalidArgument },
    { what: 'an upper-case scope', scope: 'Ledger.Transfer', key: KEY, code: DbErrorCodes.invalidArgument },
    { what: 'a scope of 65 characters', scope: 's'.repeat(65), key: KEY, code: DbErrorCodes.invalidArgument },
  ])('refuses $what with $code before touching the database', async ({ scope, key, code }) => {
    const database = await fresh();
    let ran = false;
    const error = await rejection(
      executeIdempotent(database, { scope, key, request: {} }, async () => {
        ran = true;
        return null;
      }),
    );
    expect(error).toMatchObject({ code });
    expect(ran).toBe(false);
    expect(await keyRows(database)).toEqual([]);
  });

  it.each([0, -1, 1.5, 60_001])('refuses waitTimeoutMs %s with DB_ERR_INVALID_OPTION', async (waitTimeoutMs) => {
    const database = await fresh();
    const error = await rejection(executeIdempotent(database, { scope: SCOPE, key: KEY, request: {}, waitTimeoutMs }, async () => null));
    expect(error).toMatchObject({ code: DbErrorCodes.invalidOption });
    expect(await keyRows(database)).toEqual([]);
  });

  it('refuses a request that cannot be hashed, before touching the database', async () => {
    const database = await fresh();
    const error = await rejection(executeIdempotent(database, { scope: SCOPE, key: KEY, request: { tags: new Set(['a']) } }, async () => null));
    expect(error).toMatchObject({ code: DbErrorCodes.invalidArgument });
    expect(error.message).toMatch(/request\.tags is a Set/);
    expect(await keyRows(database)).toEqual([]);
  });
});

describe('purgeIdempotencyKeys', () => {
  it('deletes only keys older than the given age', async () => {
    const database = await fresh();
    for (const key of ['old-key-0001', 'old-key-0002', 'new-key-0001']) {
      await executeIdempotent(database, { scope: SCOPE, key, request: {} }, async () => ({ key }));
    }
    await database.db
      .update(idempotencyKeysTable)
      .set({ createdAt: sql`now() - interval '49 hours'` })
      .where(sql`${idempotencyKeysTable.key} like 'old-%'`);

    expect(await purgeIdempotencyKeys(database, 50 * HOUR_MS)).toBe(0);
    expect(await purgeIdempotencyKeys(database, 48 * HOUR_MS)).toBe(2);
    expect((await keyRows(database)).map((row) => row.key)).toEqual(['new-key-0001']);
  });

  it('deletes in chunks until no old key is left', async () => {
    const database = await fresh();
    const oldKeys = 12_001;
    await database.sql`
      insert into idempotency_keys (scope, key, request_hash, state, response, created_at)
      select 'test.bulk', 'bulk-key-' || n, 'hash', 'completed', '{}'::jsonb, now() - interval '30 days'
      from generate_series(1, ${oldKeys}) as n`;
    await executeIdempotent(database, { scope: SCOPE, key: KEY, request: {} }, async () => 'kept');

    expect(await purgeIdempotencyKeys(database, 25 * HOUR_MS)).toBe(oldKeys);
    expect(await keyRows(database)).toEqual([expect.objectContaining({ scope: SCOPE, key: KEY })]);
  });

  it.each([0, HOUR_MS, 24 * HOUR_MS - 1, Number.NaN])('refuses an age of %s ms (keys are kept at least 24 h) and deletes nothing', async (olderThanMs) => {
    const database = await fresh();
    await executeIdempotent(database, { scope: SCOPE, key: KEY, request: {} }, async () => 'kept');
    await database.db.update(idempotencyKeysTable).set({ createdAt: sql`now() - interval '23 hours'` }).where(eq(idempotencyKeysTable.key, KEY));

    const error = await rejection(purgeIdempotencyKeys(database, olderThanMs));
    expect(error).toMatchObject({ code: DbErrorCodes.invalidOption });
    expect(await keyRows(database)).toHaveLength(1);
  });
});
