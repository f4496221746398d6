// Proves the outbox against the real PostgreSQL, each test in its own migrated random schema, with an
// in-memory publish function that records what reaches the "bus": committed events are published in
// seq order and marked, rolled-back ones never; the trace context is captured; a NOTIFY wakes the
// relay long before its poll; a failing or hanging publish keeps the row pending with attempts and
// last_error and the relay later succeeds; the loop survives database errors; two relays on one
// schema never publish one row twice nor out of order; published rows can be purged.
import { trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from '@strongbox/shared-contracts';
import {
  createOutboxRelay,
  enqueueEvents,
  migrate,
  outboxChannel,
  outboxTable,
  type Database,
  type OutboxPublish,
  type OutboxRelay,
  type OutboxRelayOptions,
} from '../../src/index';
import {
  adminSql,
  disposeDatabase,
  FIXTURE_MIGRATIONS_FOLDER,
  freshDatabase,
  MIGRATION_LOCK_TIMEOUT_MS,
  openDatabase,
  quietLogger,
  randomSchema,
  TEST_DATABASE_URL,
  testEvent,
  testSchema,
  waitFor,
  type TestTables,
} from '../support/harness';

type Published = Parameters<OutboxPublish>[0];

const admin = adminSql();
const tracerProvider = new NodeTracerProvider();
const databases: Array<Database<TestTables>> = [];
const relays: OutboxRelay[] = [];

beforeAll(() => {
  // Registers the AsyncLocalStorage context manager and the W3C propagator globally (this file only:
  // every test file runs in its own process).
  tracerProvider.register();
});

afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.stop(5_000);
  for (const database of databases.splice(0)) await disposeDatabase(database);
});

afterAll(async () => {
  await tracerProvider.shutdown();
  await admin.end({ timeout: 5 });
});

async function track(database: Promise<Database<TestTables>> | Database<TestTables>): Promise<Database<TestTables>> {
  const opened = await database;
  databases.push(opened);
  return opened;
}

function relayFor(database: Database<TestTables>, publish: OutboxPublish, overrides: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  const relay = createOutboxRelay({ database, publish, logger: quietLogger(), batchSizeMax: 10, pollIntervalMs: 60_000, ...overrides });
  relays.push(relay);
  return relay;
}

function recorder(): { calls: Published[]; publish: OutboxPublish } {
  const calls: Published[] = [];
  return {
    calls,
    publish: async (message) => {
      calls.push(message);
    },
  };
}

async function commitEvents(database: Database<TestTables>, events: readonly CloudEvent[], headers?: Record<string, string>): Promise<void> {
  await database.db.transaction(
    async (tx) => {
      await tx.insert(testSchema.widgetsTable).values({ id: events[0]!.id, name: 'state change' });
      await enqueueEvents(tx, events.map((event) => ({ subject: `t.${event.type}`, event, ...(headers ? { headers } : {}) })));
    },
    { isolationLevel: 'read committed' },
  );
}

async function outboxRows(database: Database<TestTables>) {
  return database.db.select().from(outboxTable).orderBy(outboxTable.seq);
}

/** The metric's value for `labels`, or undefined while it has never been set. */
async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  return values.find((value) => Object.entries(labels).every(([key, label]) => value.labels[key] === label))?.value;
}

describe('enqueueEvents and the relay', () => {
  it('publishes committed events in seq order with their subject, event and headers, and marks them; a rollback publishes nothing', async () => {
    const database = await track(freshDatabase());
    const [first, second, third, rolledBack] = [testEvent({ n: 1 }), testEvent({ n: 2 }), testEvent({ n: 3 }), testEvent({ n: 4 })];
    await commitEvents(database, [first!, second!], { 'Strongbox-Causation-Id': 'cause-1' });
    await commitEvents(database, [third!]);
    await expect(
      database.db.transaction(
        async (tx) => {
          await enqueueEvents(tx, [{ subject: 't.rolled-back', event: rolledBack! }]);
          throw new Error('the state change failed');
        },
        { isolationLevel: 'read committed' },
      ),
    ).rejects.toThrow('the state change failed');

    // jsonb must hold objects, not JSON text in a string (a classic drizzle + postgres.js pitfall).
    const types = await database.sql<Array<{ event: string; headers: string }>>`
      select jsonb_typeof(event) as event, jsonb_typeof(headers) as headers from outbox`;
    expect(types).toEqual([
      { event: 'object', headers: 'object' },
      { event: 'object', headers: 'object' },
      { event: 'object', headers: 'object' },
    ]);

    const bus = recorder();
    // A batch of two forces drainOnce through more than one batch.
    const relay = relayFor(database, bus.publish, { batchSizeMax: 2 });
    expect(await relay.pending()).toBe(3);
    expect(await relay.drainOnce()).toBe(3);
    expect(bus.calls).toEqual([
      { subject: `t.${first!.type}`, event: first, headers: { 'Strongbox-Causation-Id': 'cause-1' } },
      { subject: `t.${second!.type}`, event: second, headers: { 'Strongbox-Causation-Id': 'cause-1' } },
      { subject: `t.${third!.type}`, event: third, headers: {} },
    ]);

    const rows = await outboxRows(database);
    expect(rows.map((row) => row.eventId)).toEqual([first!.id, second!.id, third!.id]);
    expect(rows.every((row) => row.publishedAt !== null && row.attempts === 0 && row.lastError === null)).toBe(true);
    expect(await relay.pending()).toBe(0);
    expect(await relay.drainOnce()).toBe(0);
    expect(bus.calls).toHaveLength(3);
  });

  it('captures the active trace context as traceparent; an explicit traceparent wins', async () => {
    const database = await track(freshDatabase());
    const captured = testEvent();
    const explicit = testEvent();
    const tracer = trace.getTracer('shared-db-test');
    const spanContext = await tracer.startActiveSpan('handle update', async (span) => {
      await database.db.transaction(
        async (tx) => {
          await enqueueEvents(tx, [
            { subject: 't.captured', event: captured },
            { subject: 't.explicit', event: explicit, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } },
          ]);
        },
        { isolationLevel: 'read committed' },
      );
      span.end();
      return span.spanContext();
    });

    const rows = await outboxRows(database);
    expect(rows[0]!.headers['traceparent']).toBe(`00-${spanContext.traceId}-${spanContext.spanId}-01`);
    expect(rows[1]!.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('wakes on NOTIFY at commit, long before its poll interval', async () => {
    const database = await track(freshDatabase());
    const bus = recorder();
    const registry = new Registry();
    const relay = relayFor(database, bus.publish, { pollIntervalMs: 60_000, registry });
    relay.start();
    await waitFor('the relay to LISTEN on its channel', async () => {
      const rows = await admin`select 1 from pg_stat_activity where query = ${`listen "${outboxChannel(database.schema)}"`}`;
      return rows.length === 1;
    });
    // The first (empty) iteration sets the pending gauge as it ends; after that only the
    // notification can explain a publish within the 60 s poll interval.
    await waitFor('the first iteration to finish', async () => (await metricValue(registry, 'strongbox_outbox_pending', { schema: database.schema })) === 0);

    const event = testEvent();
    await commitEvents(database, [event]);
    await waitFor('the notified relay to publish', () => bus.calls.length === 1, { timeoutMs: 5_000 });
    expect(bus.calls[0]!.event.id).toBe(event.id);

    const stopStartedMs = Date.now();
    await relay.stop(5_000);
    expect(Date.now() - stopStartedMs).toBeLessThan(5_000);
    expect(() => relay.start()).toThrow(/stopped/);
  });
});

describe('publish failures', () => {
  it('stops the batch at the first failure, keeps the failed row pending with attempts and last_error, and later succeeds in order', async () => {
    const database = await track(freshDatabase());
    const events = [testEvent({ n: 1 }), testEvent({ n: 2 }), testEvent({ n: 3 })];
    await commitEvents(database, events);

    const calls: Published[] = [];
    let failuresLeft = 2;
    const relay = relayFor(database, async (message) => {
      if (message.event.id === events[1]!.id && failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('nats: no responders');
      }
      calls.push(message);
    });

    expect(await relay.drainOnce()).toBe(1);
    let rows = await outboxRows(database);
    expect(rows.map((row) => [row.publishedAt !== null, row.attempts, row.lastError])).toEqual([
      [true, 0, null],
      [false, 1, 'Error: nats: no responders'],
      [false, 0, null],
    ]);

    expect(await relay.drainOnce()).toBe(0);
    expect((await outboxRows(database))[1]!.attempts).toBe(2);

    expect(await relay.drainOnce()).toBe(2);
    expect(calls.map((call) => call.event.id)).toEqual(events.map((event) => event.id));
    rows = await outboxRows(database);
    expect(rows.every((row) => row.publishedAt !== null)).toBe(true);
    expect(rows[1]!.attempts).toBe(2);
  });

  it('counts a publish that never settles as failed after publishTimeoutMs', async () => {
    const database = await track(freshDatabase());
    await commitEvents(database, [testEvent()]);
    const relay = relayFor(database, () => new Promise<void>(() => undefined), { publishTimeoutMs: 100 });

    expect(await relay.drainOnce()).toBe(0);
    const [row] = await outboxRows(database);
    expect(row!.publishedAt).toBeNull();
    expect(row!.attempts).toBe(1);
    expect(row!.lastError).toMatch(/^DbError: publishing outbox row \d+ did not finish within 100 ms$/);
  });

  it('backs off and retries in the running loop until the bus accepts, counting each failure', async () => {
    const database = await track(freshDatabase());
    const event = testEvent();
    await commitEvents(database, [event]);

    const registry = new Registry();
    const calls: Published[] = [];
    let failuresLeft = 3;
    const relay = relayFor(
      database,
      async (message) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('nats: timeout');
        }
        calls.push(message);
      },
      { registry, retryDelayMsInitial: 10, retryDelayMsMax: 50, pollIntervalMs: 60_000 },
    );
    relay.start();
    await waitFor('the relay to publish after its failures', () => calls.length === 1, { timeoutMs: 5_000 });
    await waitFor('the pending gauge to reach 0', async () => (await metricValue(registry, 'strongbox_outbox_pending', { schema: database.schema })) === 0);

    const [row] = await outboxRows(database);
    expect(row!.publishedAt).not.toBeNull();
    expect(row!.attempts).toBe(3);
    expect(await metricValue(registry, 'strongbox_outbox_relay_errors_total', { schema: database.schema, kind: 'publish' })).toBe(3);
    expect(await metricValue(registry, 'strongbox_outbox_published_total', { schema: database.schema })).toBe(1);
  });

  it('keeps looping through database errors, counts them, and publishes once the database is back', async () => {
    // The schema is not migrated yet, so every iteration fails with "relation outbox does not exist".
    const schema = randomSchema();
    const database = await track(openDatabase(schema));
    const registry = new Registry();
    const bus = recorder();
    const relay = relayFor(database, bus.publish, { registry, retryDelayMsInitial: 10, retryDelayMsMax: 50, pollIntervalMs: 50 });
    relay.start();
    await waitFor('repeated database errors', async () => ((await metricValue(registry, 'strongbox_outbox_relay_errors_total', { schema, kind: 'database' })) ?? 0) >= 3);

    await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: FIXTURE_MIGRATIONS_FOLDER, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });
    const event = testEvent();
    await commitEvents(database, [event]);
    await waitFor('the recovered loop to publish', () => bus.calls.length === 1, { timeoutMs: 5_000 });
    expect(bus.calls[0]!.event.id).toBe(event.id);
  });
});

describe('two relays on one schema', () => {
  it('never publishes while the other relay holds a batch (no double publish, no overtaking)', async () => {
    const replicaA = await track(freshDatabase());
    const replicaB = await track(openDatabase(replicaA.schema, `${replicaA.schema}-b`));
    const events = Array.from({ length: 5 }, (_, n) => testEvent({ n }));
    await commitEvents(replicaA, events);

    const callsA: Published[] = [];
    const callsB: Published[] = [];
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let entered: () => void = () => undefined;
    const aIsPublishing = new Promise<void>((resolve) => {
      entered = resolve;
    });
    // Batches of two: were B allowed to work next to A, it would take rows 3-4 and overtake A.
    const relayA = relayFor(replicaA, async (message) => {
      entered();
      await gate;
      callsA.push(message);
    }, { batchSizeMax: 2 });
    const relayB = relayFor(replicaB, async (message) => {
      callsB.push(message);
    }, { batchSizeMax: 2 });

    const drainingA = relayA.drainOnce();
    await aIsPublishing;
    expect(await relayB.drainOnce()).toBe(0);
    expect(callsB).toEqual([]);

    openGate();
    expect(await drainingA).toBe(5);
    expect(await relayB.drainOnce()).toBe(0);
    expect(callsA.map((call) => call.event.id)).toEqual(events.map((event) => event.id));
    expect(callsB).toEqual([]);
  });

  it('under load with both loops running, publishes every row exactly once, in seq order, one relay at a time', async () => {
    const replicaA = await track(freshDatabase());
    const replicaB = await track(openDatabase(replicaA.schema, `${replicaA.schema}-b`));
    const bus: Array<{ relay: string; eventId: string }> = [];
    let inFlight = 0;
    let inFlightMax = 0;
    const publishAs =
      (relay: string): OutboxPublish =>
      async (message) => {
        inFlight += 1;
        inFlightMax = Math.max(inFlightMax, inFlight);
        // A little latency widens the window in which the other relay could step in.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
        bus.push({ relay, eventId: message.event.id });
        inFlight -= 1;
      };
    const relayA = relayFor(replicaA, publishAs('a'), { batchSizeMax: 7, pollIntervalMs: 10 });
    const relayB = relayFor(replicaB, publishAs('b'), { batchSizeMax: 7, pollIntervalMs: 10 });
    relayA.start();
    relayB.start();

    const transactions = 20;
    const eventsPerTransaction = 10;
    await Promise.all(
      Array.from({ length: transactions }, (_, t) =>
        commitEvents(t % 2 === 0 ? replicaA : replicaB, Array.from({ length: eventsPerTransaction }, (_, n) => testEvent({ t, n }))),
      ),
    );
    await waitFor('every row to be published', async () => (await relayA.pending()) === 0, { timeoutMs: 20_000, intervalMs: 50 });
    await Promise.all([relayA.stop(5_000), relayB.stop(5_000)]);

    const rows = await outboxRows(replicaA);
    expect(rows).toHaveLength(transactions * eventsPerTransaction);
    const seqById = new Map(rows.map((row) => [row.eventId, row.seq]));
    expect(bus).toHaveLength(rows.length);
    expect(new Set(bus.map((call) => call.eventId)).size).toBe(rows.length);
    const publishedSeqs = bus.map((call) => seqById.get(call.eventId)!);
    expect(publishedSeqs).toEqual([...publishedSeqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(inFlightMax).toBe(1);
  });
});

describe('purgePublished', () => {
  it('deletes only rows published longer ago than the given age and leaves pending rows alone', async () => {
    const database = await track(freshDatabase());
    await commitEvents(database, [testEvent(), testEvent(), testEvent()]);
    const relay = relayFor(database, recorder().publish);
    expect(await relay.drainOnce()).toBe(3);
    const pendingEvent = testEvent();
    await commitEvents(database, [pendingEvent]);

    expect(await relay.purgePublished(60 * 60_000)).toBe(0);
    expect(await relay.purgePublished(0)).toBe(3);
    const rows = await outboxRows(database);
    expect(rows.map((row) => row.eventId)).toEqual([pendingEvent.id]);
    expect(await database.db.select().from(outboxTable).where(eq(outboxTable.eventId, pendingEvent.id))).toHaveLength(1);
  });
});
