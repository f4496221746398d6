import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import postgres, { type Sql } from 'postgres';
import { ignoreNotice } from './database';
import { DbError, DbErrorCodes } from './errors';
import { AdvisoryLockClasses, assertSchemaName } from './schema-name';
import { assertAtLeast, msToSeconds } from './timeout';

// ---------------------------------------------------------------------------------------------
// Migrations at start-up: one connection, one schema, one migrator at a time.
// ---------------------------------------------------------------------------------------------

/** drizzle's journal of applied migrations; kept inside the service's schema, not in `drizzle`. */
export const MIGRATIONS_TABLE = '__drizzle_migrations';
const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;
/** A migration is DDL plus small backfills; one statement running longer than this is a bug. */
const STATEMENT_TIMEOUT_MS_DEFAULT = 5 * 60_000;
const CLOSE_TIMEOUT_MS = 5_000;
/** SQLSTATE `lock_not_available`: `lock_timeout` expired. */
const LOCK_NOT_AVAILABLE = '55P03';

export interface MigrateOptions {
  /** Never logged (it may carry a password). */
  readonly url: string;
  /** The service's schema; created when missing. */
  readonly schema: string;
  /** Folder drizzle-kit generated (`meta/_journal.json` and the `.sql` files). */
  readonly migrationsFolder: string;
  /**
   * `lock_timeout` of the migrating session: how long to wait for another replica's migration
   * (the advisory lock) and for any table lock a migration statement needs. A migration never
   * queues indefinitely behind running traffic; it fails, is rolled back, and can be retried.
   */
  readonly lockTimeoutMs: number;
  readonly connectTimeoutMs?: number;
  /** `statement_timeout` of each migration statement; defaults to five minutes. */
  readonly statementTimeoutMs?: number;
  readonly applicationName?: string;
}

/**
 * Applies the drizzle-kit migrations in `migrationsFolder` to `schema`, on a single connection whose
 * `search_path` is that schema, so the unqualified SQL lands there and the same migrations serve any
 * namespace. Holds a session advisory lock keyed on the schema for the whole run: replicas that start
 * together wait for each other, and the later ones find nothing left to apply. All pending
 * migrations run in one transaction, so a failure applies none of them.
 *
 * @example
 * await migrate({ url, schema: 'sb_ledger', migrationsFolder: ledgerMigrationsFolder, lockTimeoutMs: 30_000 });
 */
export async function migrate(options: MigrateOptions): Promise<void> {
  assertSchemaName(options.schema);
  assertAtLeast('lockTimeoutMs', options.lockTimeoutMs, 1);
  const schema = options.schema;
  const sql = postgres(options.url, {
    max: 1,
    connect_timeout: msToSeconds(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT),
    onnotice: ignoreNotice,
    connection: {
      application_name: options.applicationName ?? `${schema}-migrate`,
      search_path: schema,
      lock_timeout: options.lockTimeoutMs,
      statement_timeout: options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS_DEFAULT,
    },
  });
  try {
    await acquireMigrationLock(sql, schema, options.lockTimeoutMs);
    try {
      // Created under the lock: two concurrent `create schema if not exists` can still collide.
      await sql`create schema if not exists ${sql(schema)}`;
      // The search_path was set at connect time, possibly before the schema existed; set it again
      // so nothing depends on when PostgreSQL re-resolves it.
      await sql`select set_config('search_path', ${schema}, false)`;
      await drizzleMigrate(drizzle(sql), {
        migrationsFolder: options.migrationsFolder,
        migrationsSchema: schema,
        migrationsTable: MIGRATIONS_TABLE,
      });
    } catch (error) {
      throw new DbError(DbErrorCodes.migrationFailed, `migrating schema ${schema} failed: ${describe(error)}`, { cause: error });
    } finally {
      // Closing the session would release the lock too; unlocking first frees it for a waiting
      // replica at once, even while this connection drains.
      await sql`select pg_advisory_unlock(${AdvisoryLockClasses.migration}, hashtext(${schema}))`.catch(() => undefined);
    }
  } finally {
    await sql.end({ timeout: msToSeconds(CLOSE_TIMEOUT_MS) });
  }
}

async function acquireMigrationLock(sql: Sql, schema: string, lockTimeoutMs: number): Promise<void> {
  try {
    await sql`select pg_advisory_lock(${AdvisoryLockClasses.migration}, hashtext(${schema}))`;
  } catch (error) {
    if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE) {
      throw new DbError(
        DbErrorCodes.migrationLockTimeout,
        `another process kept migrating schema ${schema} for more than ${lockTimeoutMs} ms`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Drops `schema` and everything in it. For tests and teardown of throw-away namespaces; a
 * service never calls it.
 */
export async function dropSchema(url: string, schema: string, options: { connectTimeoutMs?: number } = {}): Promise<void> {
  assertSchemaName(schema);
  const sql = postgres(url, {
    max: 1,
    connect_timeout: msToSeconds(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT),
    onnotice: ignoreNotice,
    connection: { application_name: `${schema}-drop`, statement_timeout: STATEMENT_TIMEOUT_MS_DEFAULT },
  });
  try {
    await sql`drop schema if exists ${sql(schema)} cascade`;
  } finally {
    await sql.end({ timeout: msToSeconds(CLOSE_TIMEOUT_MS) });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
