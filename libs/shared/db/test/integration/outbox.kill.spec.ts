// THE KILL TEST. Proves that an event committed with its state change survives the death of the
// process that wrote it, against the real PostgreSQL: a child process (node --import tsx
// test/fixtures/outbox.child.ts) commits a widget and its outbox row and is SIGKILLed (1) before any
// relay ran, (2) while its relay was mid-publish with the row selected and locked, and (3) after its
// relay got the event onto the "bus" but before marking it. A relay in the test then publishes the
// row exactly once in (1) and (2), and once more with the same event id in (3) (at-least-once; the
// bus de-duplicates on the id). While the child's relay holds the batch, the test's relay publishes
// nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createOutboxRelay, dropSchema, migrate, outboxTable, type OutboxPublish } from '../../src/index';
import {
  adminSql,
  FIXTURE_MIGRATIONS_FOLDER,
  MIGRATION_LOCK_TIMEOUT_MS,
  openDatabase,
  quietLogger,
  randomSchema,
  TEST_DATABASE_URL,
  testSchema,
  waitFor,
} from '../support/harness';

const LIB_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_SCRIPT = 'test/fixtures/outbox.child.ts';
const CHILD_STEP_TIMEOUT_MS = 20_000;

type ChildMode = 'commit-only' | 'hang-before-publish' | 'hang-after-publish';
interface ChildStep {
  readonly step: 'committed' | 'publishing' | 'published';
  readonly eventId: string;
}

const admin = adminSql();
const schemas: string[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const schema of schemas.splice(0)) await dropSchema(TEST_DATABASE_URL, schema);
});

afterAll(async () => {
  await admin.end({ timeout: 5 });
});

async function migratedSchema(): Promise<string> {
  const schema = randomSchema();
  schemas.push(schema);
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: FIXTURE_MIGRATIONS_FOLDER, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });
  return schema;
}

/** Starts the child and returns the steps it reports, as they arrive. */
function startChild(schema: string, mode: ChildMode): { child: ChildProcess; steps: ChildStep[]; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, schema, mode], { cwd: LIB_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const steps: ChildStep[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => steps.push(JSON.parse(line) as ChildStep));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, steps, stderr: () => stderr };
}

async function waitForStep(run: ReturnType<typeof startChild>, step: ChildStep['step']): Promise<ChildStep> {
  return waitFor(
    `the child to report "${step}"`,
    () => {
      if (run.child.exitCode !== null) throw new Error(`child exited with ${run.child.exitCode}: ${run.stderr()}`);
      return run.steps.find((reported) => reported.step === step);
    },
    { timeoutMs: CHILD_STEP_TIMEOUT_MS },
  );
}

/** SIGKILLs the child and waits until PostgreSQL has ended its sessions (and so its transaction and locks). */
async function kill(run: ReturnType<typeof startChild>, schema: string): Promise<void> {
  const exited = new Promise((resolve) => run.child.once('exit', resolve));
  run.child.kill('SIGKILL');
  await exited;
  await waitFor("PostgreSQL to end the killed child's sessions", async () => {
    const rows = await admin`select 1 from pg_stat_activity where application_name = ${`${schema}-child`}`;
    return rows.length === 0;
  });
}

function recorder(): { eventIds: string[]; publish: OutboxPublish } {
  const eventIds: string[] = [];
  return {
    eventIds,
    publish: async (message) => {
      eventIds.push(message.event.id);
    },
  };
}

describe('outbox across a SIGKILL', () => {
  it('publishes exactly once an event whose writer died before any relay ran', async () => {
    const schema = await migratedSchema();
    const run = startChild(schema, 'commit-only');
    const { eventId } = await waitForStep(run, 'committed');
    await kill(run, schema);

    const database = openDatabase(schema);
    try {
      expect(await database.db.select().from(testSchema.widgetsTable)).toMatchObject([{ id: eventId }]);
      const bus = recorder();
      const relay = createOutboxRelay({ database, publish: bus.publish, logger: quietLogger(), batchSizeMax: 10, pollIntervalMs: 60_000 });
      expect(await relay.drainOnce()).toBe(1);
      expect(await relay.drainOnce()).toBe(0);
      expect(bus.eventIds).toEqual([eventId]);
    } finally {
      await database.close(5_000);
    }
  });

  it('publishes exactly once an event whose relay was killed mid-publish, and never while the dying relay held it', async () => {
    const schema = await migratedSchema();
    const run = startChild(schema, 'hang-before-publish');
    const { eventId } = await waitForStep(run, 'publishing');

    const database = openDatabase(schema);
    try {
      const bus = recorder();
      const relay = createOutboxRelay({ database, publish: bus.publish, logger: quietLogger(), batchSizeMax: 10, pollIntervalMs: 60_000 });
      // The child's relay holds the batch: ours must neither wait for it nor publish the row.
      expect(await relay.drainOnce()).toBe(0);
      expect(bus.eventIds).toEqual([]);

      await kill(run, schema);
      expect(run.steps.filter((step) => step.step === 'published')).toEqual([]);
      expect(await relay.drainOnce()).toBe(1);
      expect(await relay.drainOnce()).toBe(0);
      expect(bus.eventIds).toEqual([eventId]);
      const [row] = await database.db.select().from(outboxTable);
      expect(row).toMatchObject({ eventId, attempts: 0 });
      expect(row!.publishedAt).not.toBeNull();
    } finally {
      await database.close(5_000);
    }
  });

  it('publishes again, with the same event id, an event whose relay was killed after publishing but before marking', async () => {
    const schema = await migratedSchema();
    const run = startChild(schema, 'hang-after-publish');
    const published = await waitForStep(run, 'published');
    await kill(run, schema);

    const database = openDatabase(schema);
    try {
      const bus = recorder();
      const relay = createOutboxRelay({ database, publish: bus.publish, logger: quietLogger(), batchSizeMax: 10, pollIntervalMs: 60_000 });
      expect(await relay.drainOnce()).toBe(1);
      expect(await relay.drainOnce()).toBe(0);
      // The bus got the event twice, from the dying relay and from the restarted one, under one id.
      expect(bus.eventIds).toEqual([published.eventId]);
      expect(await relay.pending()).toBe(0);
    } finally {
      await database.close(5_000);
    }
  });
});
