// Proves processOnce and purgeInbox against the real PostgreSQL, each test in its own migrated random
// schema: a second call with the same (consumer, event id) is a no-op, another consumer still runs; a
// work function that throws leaves no inbox row and none of its effects, so a redelivery retries;
// concurrent calls with one id run the work once; the requested isolation level is the one used;
// only rows older than the given age are purged.
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { inboxTable, processOnce, purgeInbox, type Database } from '../../src/index';
import { disposeDatabase, freshDatabase, testSchema, type TestTables } from '../support/harness';

const databases: Array<Database<TestTables>> = [];

afterEach(async () => {
  for (const database of databases.splice(0)) await disposeDatabase(database);
});

async function fresh(): Promise<Database<TestTables>> {
  const database = await freshDatabase();
  databases.push(database);
  return database;
}

describe('processOnce', () => {
  it('runs the work once per (consumer, event id); a redelivery is a no-op; another consumer runs it too', async () => {
    const database = await fresh();
    let runs = 0;
    const work = async (): Promise<string> => {
      runs += 1;
      return `run ${runs}`;
    };

    expect(await processOnce(database, { consumer: 'ledger-open-account', eventId: 'e-1' }, work)).toEqual({ duplicate: false, result: 'run 1' });
    expect(await processOnce(database, { consumer: 'ledger-open-account', eventId: 'e-1' }, work)).toEqual({ duplicate: true });
    expect(await processOnce(database, { consumer: 'notifier-welcome', eventId: 'e-1' }, work)).toEqual({ duplicate: false, result: 'run 2' });
    expect(runs).toBe(2);
    expect(await database.db.select().from(inboxTable).orderBy(inboxTable.consumer)).toMatchObject([
      { consumer: 'ledger-open-account', eventId: 'e-1' },
      { consumer: 'notifier-welcome', eventId: 'e-1' },
    ]);
  });

  it('leaves neither an inbox row nor the effects when the work throws, so the redelivery runs it again', async () => {
    const database = await fresh();
    const options = { consumer: 'ledger-open-account', eventId: 'e-2', isolationLevel: 'read committed' } as const;

    await expect(
      processOnce(database, options, async (tx) => {
        await tx.insert(testSchema.widgetsTable).values({ id: 'w-2', name: 'half done' });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await database.db.select().from(inboxTable)).toEqual([]);
    expect(await database.db.select().from(testSchema.widgetsTable)).toEqual([]);

    const outcome = await processOnce(database, options, async (tx) => {
      await tx.insert(testSchema.widgetsTable).values({ id: 'w-2', name: 'done' });
      return 'ok';
    });
    expect(outcome).toEqual({ duplicate: false, result: 'ok' });
    expect(await database.db.select().from(testSchema.widgetsTable)).toMatchObject([{ id: 'w-2', name: 'done' }]);
    expect(await database.db.select().from(inboxTable)).toHaveLength(1);
  });

  it('runs the work once when concurrent deliveries of one event race', async () => {
    const database = await fresh();
    await database.db.insert(testSchema.widgetsTable).values({ id: 'counter', name: 'counter' });
    let runs = 0;
    const deliveries = 8;
    const outcomes = await Promise.all(
      Array.from({ length: deliveries }, () =>
        processOnce(database, { consumer: 'ledger-open-account', eventId: 'e-3', isolationLevel: 'read committed' }, async (tx) => {
          runs += 1;
          // Hold the transaction open a moment so the other deliveries pile up on the inbox key.
          await tx.execute(sql`select pg_sleep(0.05)`);
          await tx
            .update(testSchema.widgetsTable)
            .set({ version: sql`${testSchema.widgetsTable.version} + 1` })
            .where(eq(testSchema.widgetsTable.id, 'counter'));
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(outcomes.filter((outcome) => !outcome.duplicate)).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.duplicate)).toHaveLength(deliveries - 1);
    expect(await database.db.select().from(testSchema.widgetsTable)).toMatchObject([{ id: 'counter', version: 1 }]);
  });

  it.each(['read committed', 'repeatable read', 'serializable'] as const)('runs the work at the requested isolation level: %s', async (isolationLevel) => {
    const database = await fresh();
    const outcome = await processOnce(database, { consumer: 'c', eventId: `e-${isolationLevel}`, isolationLevel }, async (tx) => {
      const rows = await tx.execute<{ transaction_isolation: string }>(sql`show transaction_isolation`);
      return rows[0]!.transaction_isolation;
    });
    expect(outcome).toEqual({ duplicate: false, result: isolationLevel });
  });

  it('refuses an empty consumer or event id', async () => {
    const database = await fresh();
    await expect(processOnce(database, { consumer: '', eventId: 'e' }, async () => 1)).rejects.toMatchObject({ code: 'DB_ERR_INVALID_OPTION' });
    await expect(processOnce(database, { consumer: 'c', eventId: '' }, async () => 1)).rejects.toMatchObject({ code: 'DB_ERR_INVALID_OPTION' });
  });
});

describe('purgeInbox', () => {
  it('deletes only rows processed longer ago than the given age', async () => {
    const database = await fresh();
    for (const eventId of ['old-1', 'old-2', 'new-1']) await processOnce(database, { consumer: 'c', eventId }, async () => undefined);
    await database.db
      .update(inboxTable)
      .set({ processedAt: sql`now() - interval '2 hours'` })
      .where(sql`${inboxTable.eventId} like 'old-%'`);

    expect(await purgeInbox(database, 3 * 60 * 60_000)).toBe(0);
    expect(await purgeInbox(database, 60 * 60_000)).toBe(2);
    expect(await database.db.select({ eventId: inboxTable.eventId }).from(inboxTable)).toEqual([{ eventId: 'new-1' }]);
  });
});
