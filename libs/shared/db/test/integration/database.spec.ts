// Proves the connection factory against the real PostgreSQL: every connection's search_path,
// application name and statement timeout are the ones asked for; ping answers within its limit and
// fails (transient) when the server cannot be reached; the drizzle database and a transaction both
// serve a repository written against DbExecutor; close ends every connection.
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyDbError, createDatabase, DbErrorCodes, type DbExecutor } from '../../src/index';
import { adminSql, disposeDatabase, freshDatabase, TEST_DATABASE_URL, testSchema, waitFor } from '../support/harness';

const admin = adminSql();

afterAll(async () => {
  await admin.end({ timeout: 5 });
});

/** A repository function as services write them: it takes whatever executor the caller has. */
async function renameWidget(executor: DbExecutor, id: string, name: string): Promise<number> {
  const rows = await executor.update(testSchema.widgetsTable).set({ name }).where(eq(testSchema.widgetsTable.id, id)).returning();
  return rows.length;
}

describe('createDatabase', () => {
  it('sets search_path, application_name and statement_timeout on its connections', async () => {
    const migrated = await freshDatabase();
    const database = createDatabase(
      { url: TEST_DATABASE_URL, schema: migrated.schema, applicationName: 'shared-db-settings-test', poolSizeMax: 2, connectTimeoutMs: 5_000, statementTimeoutMs: 200 },
      testSchema,
    );
    try {
      const [settings] = await database.sql<Array<{ schema: string; path: string; app: string; timeout: string }>>`
        select current_schema() as schema, current_setting('search_path') as path,
               current_setting('application_name') as app, current_setting('statement_timeout') as timeout`;
      expect(settings).toEqual({ schema: migrated.schema, path: migrated.schema, app: 'shared-db-settings-test', timeout: '200ms' });
      const error: unknown = await database.sql`select pg_sleep(2)`.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: '57014' });
      expect(classifyDbError(error)).toBe('transient');
    } finally {
      await database.close(2_000);
      await disposeDatabase(migrated);
    }
  });

  it('serves a DbExecutor repository from the database and from a transaction', async () => {
    const database = await freshDatabase();
    try {
      await database.db.insert(testSchema.widgetsTable).values({ id: 'w', name: 'before' });
      expect(await renameWidget(database.db, 'w', 'outside')).toBe(1);
      await database.db.transaction((tx) => renameWidget(tx, 'w', 'inside'), { isolationLevel: 'read committed' });
      expect(await database.db.select().from(testSchema.widgetsTable)).toMatchObject([{ name: 'inside' }]);
    } finally {
      await disposeDatabase(database);
    }
  });

  it('pings, and close ends every connection of the pool', async () => {
    const database = await freshDatabase('shared-db-close-test');
    await database.ping(2_000);
    await Promise.all([database.sql`select 1`, database.sql`select 2`, database.sql`select 3`]);
    await database.close(2_000);
    await waitFor('the pool to disconnect', async () => {
      const rows = await admin`select 1 from pg_stat_activity where application_name = 'shared-db-close-test'`;
      return rows.length === 0;
    });
    await disposeDatabase(database);
  });

  it('fails ping with a transient error when PostgreSQL cannot be reached', async () => {
    const database = createDatabase(
      { url: 'postgres://postgres@127.0.0.1:1/test', schema: 'unreachable', applicationName: 'x', poolSizeMax: 1, connectTimeoutMs: 500, statementTimeoutMs: 1_000 },
      {},
    );
    try {
      const error: unknown = await database.ping(2_000).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect(classifyDbError(error)).toBe('transient');
    } finally {
      await database.close(1_000);
    }
  });

  it('refuses invalid options before connecting', () => {
    const base = { url: 'postgres://postgres@127.0.0.1:5432/test', schema: 'ok', applicationName: 'x', poolSizeMax: 1, connectTimeoutMs: 1_000, statementTimeoutMs: 1_000 };
    expect(() => createDatabase({ ...base, poolSizeMax: 0 }, {})).toThrow(expect.objectContaining({ code: DbErrorCodes.invalidOption }));
    expect(() => createDatabase({ ...base, schema: 'Bad-Name' }, {})).toThrow(expect.objectContaining({ code: DbErrorCodes.invalidSchemaName }));
  });
});
