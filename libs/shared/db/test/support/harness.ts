import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres, { type Sql } from 'postgres';
import pino, { type Logger } from 'pino';
import type { CloudEvent } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { createDatabase, dropSchema, migrate, type Database } from '../../src/index';
import * as testSchema from '../fixtures/test.schema';

// Shared plumbing of this lib's integration tests: the loopback PostgreSQL, a random schema per
// test, the fixture migrations, and a condition poller with a deadline.

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const FIXTURE_MIGRATIONS_FOLDER = fileURLToPath(new URL('../fixtures/migrations', import.meta.url));
export const MIGRATION_LOCK_TIMEOUT_MS = 10_000;
/** How many migrations the fixture folder holds (its drizzle journal's entries): one journal row each once applied. */
export const FIXTURE_MIGRATIONS_COUNT: number = (
  JSON.parse(readFileSync(new URL('../fixtures/migrations/meta/_journal.json', import.meta.url), 'utf8')) as { entries: unknown[] }
).entries.length;

export type TestTables = typeof testSchema;
export { testSchema };

/** A schema name no other test (or run) uses: `t_1a2b3c4d_db`. */
export function randomSchema(): string {
  return `t_${randomBytes(4).toString('hex')}_db`;
}

/** Opens a pool on `schema` with test-sized limits. */
export function openDatabase(schema: string, applicationName = `${schema}-test`, poolSizeMax = 5): Database<TestTables> {
  return createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName, poolSizeMax, connectTimeoutMs: 5_000, statementTimeoutMs: 10_000 },
    testSchema,
  );
}

/** Migrates a fresh random schema with the fixture migrations and opens it. */
export async function freshDatabase(applicationName?: string): Promise<Database<TestTables>> {
  const schema = randomSchema();
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: FIXTURE_MIGRATIONS_FOLDER, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });
  return openDatabase(schema, applicationName);
}

/** Closes the pool and drops its schema. */
export async function disposeDatabase(database: Database<TestTables>): Promise<void> {
  await database.close(5_000);
  await dropSchema(TEST_DATABASE_URL, database.schema);
}

/** A plain connection outside any service schema, for inspecting the server (pg_stat_activity, catalogs). */
export function adminSql(): Sql {
  return postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 5, onnotice: () => undefined });
}

/** A well-formed CloudEvent for the outbox. */
export function testEvent(data: Record<string, unknown> = {}): CloudEvent {
  return {
    specversion: '1.0',
    id: newId(),
    source: 'strongbox/test',
    type: 'bot.evt.widget.created.v1',
    time: new Date().toISOString(),
    subject: 'widget',
    datacontenttype: 'application/json',
    dataschema: 'https://strongbox.example/schemas/bot.evt.widget.created.v1.json',
    data,
  };
}

/** A logger that stays quiet unless something is really wrong. */
export function quietLogger(): Logger {
  return pino({ level: 'fatal' });
}

/**
 * Polls `condition` every `intervalMs` until it returns a value other than `undefined`/`false`,
 * or throws after `timeoutMs` naming `what`.
 */
export async function waitFor<T>(
  what: string,
  condition: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
