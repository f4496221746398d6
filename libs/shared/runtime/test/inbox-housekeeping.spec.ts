// Inbox housekeeping against the real PostgreSQL: each test migrates its own schema with the shared
// inbox table (the db lib's fixture migrations), backdates rows and watches the loop purge them.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, dropSchema, migrate, processOnce, type Database } from '@strongbox/shared-db';
import { TEST_DATABASE_URL, waitFor } from '@strongbox/shared-testing';
import { startInboxHousekeeping, startServiceInboxHousekeeping, type InboxHousekeeping } from '../src/inbox-housekeeping';
import type { RuntimeConfig } from '../src/runtime.config';

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../db/test/fixtures/migrations', import.meta.url));
const HOUR_MS = 60 * 60 * 1_000;
const RETENTION_MS = 48 * HOUR_MS;
const INTERVAL_MS = 100;

const opened: Array<Database<Record<string, never>>> = [];
const running: InboxHousekeeping[] = [];

afterEach(async () => {
  for (const housekeeping of running.splice(0)) await housekeeping.stop(5_000).catch(() => undefined);
  for (const database of opened.splice(0)) {
    await database.close(5_000);
    await dropSchema(TEST_DATABASE_URL, database.schema);
  }
});

async function freshDatabase(): Promise<Database<Record<string, never>>> {
  const schema = `t_${randomBytes(4).toString('hex')}_inbox`;
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: MIGRATIONS_FOLDER, lockTimeoutMs: 10_000 });
  const database = createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName: `${schema}-test`, poolSizeMax: 3, connectTimeoutMs: 5_000, statementTimeoutMs: 10_000 },
    {},
  );
  opened.push(database);
  return database;
}

/** `count` inbox rows of `consumer`, processed `ageMs` ago. */
async function insertRows(database: Database<Record<string, never>>, consumer: string, count: number, ageMs: number): Promise<void> {
  await database.sql`
    insert into inbox (consumer, event_id, processed_at)
    select ${consumer}, ${consumer} || '-' || n, now() - interval '1 millisecond' * ${ageMs}::double precision
    from generate_series(1, ${count}::int) as n`;
}

async function countRows(database: Database<Record<string, never>>, consumer: string): Promise<number> {
  const [row] = await database.sql<Array<{ count: number }>>`select count(*)::int as count from inbox where consumer = ${consumer}`;
  return row?.count ?? 0;
}

/** A JSON logger whose lines the test can read. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function purgedTotal(registry: Registry, service: string): Promise<number> {
  const metric = await registry.getSingleMetric('strongbox_housekeeping_rows_purged_total')?.get();
  return metric?.values.find((value) => value.labels['service'] === service && value.labels['table'] === 'inbox')?.value ?? Number.NaN;
}

describe('startInboxHousekeeping', () => {
  it('deletes the rows older than the retention chunk after chunk, keeps the younger ones, counts and logs what it deleted', async () => {
    const database = await freshDatabase();
    const chunkSize = 100;
    const oldRows = 2 * chunkSize + 50;
    await insertRows(database, 'old', oldRows, RETENTION_MS + HOUR_MS);
    await insertRows(database, 'young', 30, RETENTION_MS - HOUR_MS);
    // A row written the way services write them: processed now.
    await processOnce(database, { consumer: 'fresh', eventId: 'e-1' }, async () => undefined);
    const registry = new Registry();
    const { logger, lines } = capturingLogger();

    const housekeeping = startInboxHousekeeping({ service: 'notifier', database, logger, registry, intervalMs: INTERVAL_MS, chunkSize });
    running.push(housekeeping);
    await waitFor(async () => (await countRows(database, 'old')) === 0, { timeoutMs: 10_000, description: 'the old inbox rows purged' });

    expect(await countRows(database, 'young')).toBe(30);
    expect(await countRows(database, 'fresh')).toBe(1);
    // One statement deletes at most chunkSize rows: all of them going means the pass ran several.
    expect(await purgedTotal(registry, 'notifier')).toBe(oldRows);
    const purgeLogs = lines.filter((line) => line['msg'] === 'old inbox rows purged');
    expect(purgeLogs.reduce((sum, line) => sum + Number(line['purged']), 0)).toBe(oldRows);
    expect(purgeLogs.every((line) => line['level'] === 30 && line['table'] === 'inbox')).toBe(true);
  });

  it('purges a pass of many chunks in one purgeOnce call and logs nothing when nothing is old', async () => {
    const database = await freshDatabase();
    const registry = new Registry();
    const { logger, lines } = capturingLogger();
    // An interval far beyond the test: only the explicit calls below purge.
    const housekeeping = startInboxHousekeeping({ service: 'ledger', database, logger, registry, intervalMs: HOUR_MS, chunkSize: 7 });
    running.push(housekeeping);
    await insertRows(database, 'old', 50, RETENTION_MS + 1_000);
    await insertRows(database, 'young', 5, 1_000);

    expect(await housekeeping.purgeOnce()).toBe(50);
    expect(await housekeeping.purgeOnce()).toBe(0);
    expect(await countRows(database, 'young')).toBe(5);
    expect(lines.filter((line) => line['msg'] === 'old inbox rows purged')).toHaveLength(1);
  });

  it('refuses a retention below the 2-day floor and a chunk size the db lib does not allow', () => {
    const base = { service: 'notifier', database: { sql: undefined as never }, logger: pino({ level: 'silent' }), registry: new Registry() };
    expect(() => startInboxHousekeeping({ ...base, retentionMs: RETENTION_MS - 1 })).toThrow(RangeError);
    expect(() => startInboxHousekeeping({ ...base, chunkSize: 0 })).toThrow(RangeError);
    expect(() => startInboxHousekeeping({ ...base, chunkSize: 5_001 })).toThrow(RangeError);
  });

  it('runs with the service config, registers its shutdown step and purges nothing once stopped', async () => {
    const database = await freshDatabase();
    const registry = new Registry();
    const { logger, lines } = capturingLogger();
    const steps: Array<{ name: string; step: () => Promise<void> }> = [];
    const config = { INBOX_RETENTION_MS: RETENTION_MS, INBOX_PURGE_INTERVAL_MS: INTERVAL_MS, SHUTDOWN_TIMEOUT_MS: 4_000 } as RuntimeConfig;
    startServiceInboxHousekeeping(
      { service: 'admin-audit', config, logger, registry, onShutdown: (name, step) => steps.push({ name, step }) },
      database,
    );
    expect(steps.map((step) => step.name)).toEqual(['inbox housekeeping']);

    await insertRows(database, 'before-stop', 3, RETENTION_MS + HOUR_MS);
    await waitFor(async () => (await countRows(database, 'before-stop')) === 0, { timeoutMs: 10_000, description: 'purged while running' });
    const stoppingAt = Date.now();
    await steps[0]!.step();
    expect(Date.now() - stoppingAt).toBeLessThan(2_000);
    expect(lines.some((line) => line['msg'] === 'supervised loop stopped' && line['loop'] === 'inbox-housekeeping')).toBe(true);

    // Absence of a purge needs time to pass: ten intervals of a loop that would otherwise purge.
    await insertRows(database, 'after-stop', 3, RETENTION_MS + HOUR_MS);
    await new Promise((resolve) => setTimeout(resolve, 10 * INTERVAL_MS));
    expect(await countRows(database, 'after-stop')).toBe(3);
    expect(await purgedTotal(registry, 'admin-audit')).toBe(3);
  });
});
