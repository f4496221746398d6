// THE CRASH-BEFORE-ACK TEST. Proves that a consumer which dies after its handler's transaction
// committed but before the ack still has its effect happen exactly once, against the real NATS and
// PostgreSQL: a child process (node --import tsx test/fixtures/crash-consumer.child.ts) handles the
// event with processOnce (inbox row + one `effects` row in one transaction) and SIGKILLs itself
// right after the commit. JetStream redelivers after the 2 s ack wait to a second instance in the
// test, whose processOnce finds the inbox row and reports a duplicate; the runner acks it. The
// effects table (no unique key) holds exactly one row, written by the child.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dropSchema, migrate } from '@strongbox/shared-db';
import { TEST_DATABASE_URL, TEST_NATS_URL, waitFor } from '@strongbox/shared-testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventPublisher, startConsumer, type ConsumerHandle } from '../../src/index';
import {
  CRASH_MIGRATIONS_FOLDER,
  applyOnce,
  crashConsumerSpec,
  decodeEvent,
  openCrashDatabase,
  type CrashDatabase,
} from '../support/crash.consumer';
import { openTestBus, quietLogger, testEvent, type TestBus } from '../support/harness';

const LIB_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_SCRIPT = 'test/fixtures/crash-consumer.child.ts';
const CHILD_TIMEOUT_MS = 30_000;

interface ChildLine {
  readonly step: 'ready' | 'committed';
  readonly eventId?: string;
  readonly duplicate?: boolean;
  readonly deliveryCount?: number;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function startChild(natsUrl: string, namespace: string, schema: string): { child: ChildProcess; lines: ChildLine[]; exited: Promise<NodeJS.Signals | number | null>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, natsUrl, namespace, schema], {
    cwd: LIB_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: ChildLine[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as ChildLine));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { child, lines, exited, stderr: () => stderr };
}

describe('a consumer that crashes between commit and ack', () => {
  it('has its effect applied exactly once: the redelivery is a duplicate for the inbox and is acked', async () => {
    const bus: TestBus = await openTestBus({ prefix: 'crash' });
    cleanups.push(() => bus.dispose());
    const schema = `t_${randomBytes(4).toString('hex')}_msg`;
    await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: CRASH_MIGRATIONS_FOLDER, lockTimeoutMs: 10_000 });
    cleanups.push(() => dropSchema(TEST_DATABASE_URL, schema));
    const database: CrashDatabase = openCrashDatabase(schema, `${schema}-test`);
    cleanups.push(() => database.close(5_000));
    const spec = crashConsumerSpec(bus.namespace);

    const event = testEvent({ n: 1 });
    await createEventPublisher(bus.js, { timeoutMs: 5_000 }).publish(`${bus.namespace}.bot.evt.widget.created.v1`, event);

    const run = startChild(TEST_NATS_URL, bus.namespace, schema);
    const exit = await Promise.race([
      run.exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), CHILD_TIMEOUT_MS).unref()),
    ]);
    expect(exit, `child stderr: ${run.stderr()}`).toBe('SIGKILL');
    expect(run.lines).toContainEqual({ step: 'committed', eventId: event.id, duplicate: false, deliveryCount: 1 });

    // The child's effect is committed, but the message is still unacknowledged on the server.
    const effectRows = async (): Promise<Array<{ applied_by: string }>> =>
      database.sql<Array<{ applied_by: string }>>`select applied_by from effects where event_id = ${event.id}`;
    expect(await effectRows()).toEqual([{ applied_by: 'child' }]);
    const afterCrash = await bus.jsm.consumers.info(spec.stream, spec.durable);
    expect(afterCrash.ack_floor.stream_seq).toBe(0);

    const outcomes: Array<{ duplicate: boolean; deliveryCount: number }> = [];
    const second: ConsumerHandle = await startConsumer({
      js: bus.js,
      jsm: bus.jsm,
      spec,
      decode: decodeEvent,
      handle: async (received, delivery) => {
        const outcome = await applyOnce(database, received, 'second');
        outcomes.push({ duplicate: outcome.duplicate, deliveryCount: delivery.deliveryCount });
      },
      logger: quietLogger(),
    });
    cleanups.push(() => second.stop(5_000));

    await waitFor(
      async () => {
        const info = await bus.jsm.consumers.info(spec.stream, spec.durable);
        return info.ack_floor.stream_seq === 1 && info.num_ack_pending === 0;
      },
      { timeoutMs: 20_000, description: 'the redelivered message to be acked by the second instance' },
    );
    expect(outcomes).toEqual([{ duplicate: true, deliveryCount: 2 }]);
    expect(await effectRows()).toEqual([{ applied_by: 'child' }]);
    const inboxRows = await database.sql`select consumer from inbox where event_id = ${event.id}`;
    expect(inboxRows).toHaveLength(1);
  });
});
