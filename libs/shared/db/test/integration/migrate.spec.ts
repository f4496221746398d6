// Proves the migrator against the real PostgreSQL: it applies the fixture migrations once into a
// random schema (journal inside that schema), is idempotent, lets two concurrent runs on one schema
// both succeed with one application, waits for (and times out on) another holder of the schema's
// migration lock, and applies the same unqualified SQL to two schemas side by side.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AdvisoryLockClasses } from '../../src/schema-name';
import { classifyDbError, DbErrorCodes, dropSchema, migrate, MIGRATIONS_TABLE } from '../../src/index';
import {
  adminSql,
  FIXTURE_MIGRATIONS_COUNT,
  FIXTURE_MIGRATIONS_FOLDER,
  MIGRATION_LOCK_TIMEOUT_MS,
  openDatabase,
  randomSchema,
  TEST_DATABASE_URL,
  testSchema,
  waitFor,
} from '../support/harness';

const admin = adminSql();
const created: string[] = [];

function newSchema(): string {
  const schema = randomSchema();
  created.push(schema);
  return schema;
}

function migrateFixture(schema: string, lockTimeoutMs = MIGRATION_LOCK_TIMEOUT_MS): Promise<void> {
  return migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: FIXTURE_MIGRATIONS_FOLDER, lockTimeoutMs, applicationName: `${schema}-migrate` });
}

async function journalRows(schema: string): Promise<number> {
  const rows = await admin<Array<{ count: number }>>`select count(*)::int as count from ${admin(schema)}.${admin(MIGRATIONS_TABLE)}`;
  return rows[0]!.count;
}

async function tablesIn(schema: string): Promise<string[]> {
  const rows = await admin<Array<{ table_name: string }>>`
    select table_name from information_schema.tables where table_schema = ${schema} order by table_name`;
  return rows.map((row) => row.table_name);
}

afterEach(async () => {
  for (const schema of created.splice(0)) await dropSchema(TEST_DATABASE_URL, schema);
});

afterAll(async () => {
  await admin.end({ timeout: 5 });
});

describe('migrate', () => {
  it('creates the schema, applies the migrations into it with the journal beside them, and is idempotent', async () => {
    const schema = newSchema();
    await migrateFixture(schema);
    expect(await tablesIn(schema)).toEqual([MIGRATIONS_TABLE, 'idempotency_keys', 'inbox', 'outbox', 'widgets']);
    expect(await journalRows(schema)).toBe(FIXTURE_MIGRATIONS_COUNT);

    await migrateFixture(schema);
    await migrateFixture(schema);
    expect(await journalRows(schema)).toBe(FIXTURE_MIGRATIONS_COUNT);
  });

  it('lets two concurrent runs on one schema both succeed and applies the migrations once', async () => {
    const schema = newSchema();
    const results = await Promise.allSettled([migrateFixture(schema), migrateFixture(schema), migrateFixture(schema)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await journalRows(schema)).toBe(FIXTURE_MIGRATIONS_COUNT);
    expect(await tablesIn(schema)).toEqual([MIGRATIONS_TABLE, 'idempotency_keys', 'inbox', 'outbox', 'widgets']);
  });

  it('waits while another session holds the schema migration lock, and proceeds once it is released', async () => {
    const schema = newSchema();
    const holder = await admin.reserve();
    try {
      await holder`select pg_advisory_lock(${AdvisoryLockClasses.migration}, hashtext(${schema}))`;
      const migrating = migrateFixture(schema);
      await waitFor('the migrator to block on the advisory lock', async () => {
        const rows = await admin<Array<{ wait_event_type: string | null }>>`
          select wait_event_type from pg_stat_activity where application_name = ${`${schema}-migrate`}`;
        return rows[0]?.wait_event_type === 'Lock';
      });
      expect(await tablesIn(schema)).toEqual([]);
      await holder`select pg_advisory_unlock(${AdvisoryLockClasses.migration}, hashtext(${schema}))`;
      await migrating;
      expect(await journalRows(schema)).toBe(FIXTURE_MIGRATIONS_COUNT);
    } finally {
      holder.release();
    }
  });

  it('gives up with DB_ERR_MIGRATION_LOCK_TIMEOUT (transient) when the lock is held beyond lockTimeoutMs', async () => {
    const schema = newSchema();
    const holder = await admin.reserve();
    try {
      await holder`select pg_advisory_lock(${AdvisoryLockClasses.migration}, hashtext(${schema}))`;
      const error: unknown = await migrateFixture(schema, 200).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'DbError', code: DbErrorCodes.migrationLockTimeout });
      expect(classifyDbError(error)).toBe('transient');
    } finally {
      await holder`select pg_advisory_unlock(${AdvisoryLockClasses.migration}, hashtext(${schema}))`;
      holder.release();
    }
  });

  it('applies the same migrations to two schemas side by side, and each connection sees only its own', async () => {
    const [first, second] = [newSchema(), newSchema()];
    await Promise.all([migrateFixture(first), migrateFixture(second)]);
    expect(await journalRows(first)).toBe(FIXTURE_MIGRATIONS_COUNT);
    expect(await journalRows(second)).toBe(FIXTURE_MIGRATIONS_COUNT);

    const a = openDatabase(first);
    const b = openDatabase(second);
    try {
      const current = await a.sql<Array<{ schema: string }>>`select current_schema() as schema`;
      expect(current[0]!.schema).toBe(first);
      await a.db.insert(testSchema.widgetsTable).values({ id: 'w1', name: 'only in the first schema' });
      expect(await a.db.select().from(testSchema.widgetsTable)).toHaveLength(1);
      expect(await b.db.select().from(testSchema.widgetsTable)).toHaveLength(0);
    } finally {
      await Promise.all([a.close(5_000), b.close(5_000)]);
    }
  });

  it('fails with DB_ERR_MIGRATION_FAILED naming the schema when the migrations folder is missing', async () => {
    const schema = newSchema();
    const error: unknown = await migrate({
      url: TEST_DATABASE_URL,
      schema,
      migrationsFolder: '/nonexistent/migrations',
      lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'DbError', code: DbErrorCodes.migrationFailed });
    expect((error as Error).message).toContain(schema);
  });

  it('refuses a schema name that is not a plain identifier before connecting', async () => {
    await expect(
      migrate({ url: TEST_DATABASE_URL, schema: 'x"; drop schema public; --', migrationsFolder: FIXTURE_MIGRATIONS_FOLDER, lockTimeoutMs: 1_000 }),
    ).rejects.toMatchObject({ code: DbErrorCodes.invalidSchemaName });
  });
});
