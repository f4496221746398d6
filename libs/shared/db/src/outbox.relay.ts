import { asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { ListenMeta } from 'postgres';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { CloudEvent } from '@strongbox/shared-contracts';
import { retryDelayMs } from './backoff';
import type { DatabaseHandle, DbExecutor } from './database';
import { DbError, DbErrorCodes } from './errors';
import { outboxTable } from './outbox.schema';
import { AdvisoryLockClasses, outboxChannel } from './schema-name';
import { assertAtLeast, withTimeout } from './timeout';
import { purgeRowsOlderThan } from './purge';

// ---------------------------------------------------------------------------------------------
// The outbox relay: publishes committed outbox rows in order, at least once.
// ---------------------------------------------------------------------------------------------

/**
 * Publishes one outbox message to the bus and resolves once the bus has accepted it; rejects
 * otherwise. Injected by the service (the messaging lib's publisher), so this lib needs no NATS.
 * It must use `event.id` as the message id, so that a re-publish is de-duplicated by the bus.
 */
export type OutboxPublish = (message: {
  readonly subject: string;
  readonly event: CloudEvent;
  readonly headers: Readonly<Record<string, string>>;
}) => Promise<void>;

export interface OutboxRelayOptions {
  readonly database: DatabaseHandle;
  readonly publish: OutboxPublish;
  readonly logger: Logger;
  /** Rows selected, locked and published per transaction. */
  readonly batchSizeMax: number;
  /** Fallback wake-up when no NOTIFY arrives (LISTEN connection lost, notification missed). */
  readonly pollIntervalMs: number;
  /** Where the relay's metrics go; they are created on first use and shared by relays of one registry. */
  readonly registry?: Registry;
  /** Longest back-off after repeated failures; defaults to 30 s. */
  readonly retryDelayMsMax?: number;
  /** First back-off after a failure; defaults to 200 ms. */
  readonly retryDelayMsInitial?: number;
  /** How long one publish may take before it counts as failed; defaults to 15 s. */
  readonly publishTimeoutMs?: number;
}

/** A running relay. One per service process; several replicas may each run one on the same schema. */
export interface OutboxRelay {
  /** Starts the loop (LISTEN + poll). Calling it again while running does nothing. */
  start(): void;
  /** Stops the loop, letting the batch in flight finish for up to `timeoutMs`; throws DB_ERR_TIMEOUT after that. */
  stop(timeoutMs: number): Promise<void>;
  /**
   * Publishes what is pending now, batch after batch, and returns how many rows it published. Stops
   * at the first publish failure (recorded on the row) and returns 0 at once when another relay
   * holds the schema's publisher lock. Throws on database errors.
   */
  drainOnce(): Promise<number>;
  /** Number of unpublished rows. */
  pending(): Promise<number>;
  /** Deletes rows published more than `olderThanMs` ago, in bounded chunks; returns how many. */
  purgePublished(olderThanMs: number): Promise<number>;
}

const RETRY_DELAY_MS_MAX_DEFAULT = 30_000;
const RETRY_DELAY_MS_INITIAL_DEFAULT = 200;
const PUBLISH_TIMEOUT_MS_DEFAULT = 15_000;
/** Batches one `drainOnce` call publishes at most, so a busy producer cannot keep it running forever. */
const DRAIN_BATCHES_MAX = 1_000;
/** `last_error` is a diagnostic; a whole stack trace or payload echo does not belong in it. */
const LAST_ERROR_LENGTH_MAX = 1_000;

type BatchOutcome =
  /** Another relay holds the publisher lock for this schema. */
  | { readonly kind: 'busy' }
  | {
      readonly kind: 'published';
      readonly published: number;
      readonly full: boolean;
      /** Unpublished rows left once this batch was marked (counted in its transaction). */
      readonly pending: number;
    }
  | { readonly kind: 'failed'; readonly published: number };

/**
 * Creates the relay of one schema's outbox.
 *
 * Each batch is one `read committed` transaction that first takes a transaction-scoped advisory
 * lock keyed on the schema (`pg_try_advisory_xact_lock`): one relay at a time publishes a schema's
 * outbox, so rows go out in `seq` order even with several replicas. It then selects the oldest
 * unpublished rows `FOR UPDATE SKIP LOCKED`, publishes them one by one in `seq` order, stops at the
 * first failure (a later row must not overtake an earlier one), and marks the published rows in the
 * same transaction. A crash before the commit publishes those rows again on the next run, with the
 * same event ids: delivery is at-least-once and the bus de-duplicates.
 *
 * Order caveat: `seq` is drawn at insert, not at commit. When a transaction that drew a lower `seq`
 * commits after one that drew a higher `seq` has already been published, the lower one goes out
 * later. Events of one aggregate keep their order, because their transactions serialise on the
 * aggregate's row lock before they enqueue.
 *
 * The loop wakes on NOTIFY (see `enqueueEvents`) and every `pollIntervalMs`; after a failure it
 * backs off exponentially with jitter up to `retryDelayMsMax`, ignoring notifications meanwhile.
 * An error never ends the loop: it is logged, counted (`strongbox_outbox_relay_errors_total`) and
 * the loop goes on.
 *
 * @example
 * const relay = createOutboxRelay({ database, publish: (m) => publisher.publish(m.subject, m.event, m.headers),
 *   logger, batchSizeMax: 100, pollIntervalMs: 1_000, registry });
 * relay.start();
 * // on shutdown:
 * await relay.drainOnce();
 * await relay.stop(5_000);
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  assertAtLeast('batchSizeMax', options.batchSizeMax, 1);
  assertAtLeast('pollIntervalMs', options.pollIntervalMs, 1);
  const retryDelayMsMax = options.retryDelayMsMax ?? RETRY_DELAY_MS_MAX_DEFAULT;
  const retryDelayMsInitial = Math.min(options.retryDelayMsInitial ?? RETRY_DELAY_MS_INITIAL_DEFAULT, retryDelayMsMax);
  const publishTimeoutMs = options.publishTimeoutMs ?? PUBLISH_TIMEOUT_MS_DEFAULT;
  assertAtLeast('retryDelayMsMax', retryDelayMsMax, 1);
  assertAtLeast('retryDelayMsInitial', retryDelayMsInitial, 1);
  assertAtLeast('publishTimeoutMs', publishTimeoutMs, 1);

  const { database, publish, logger, batchSizeMax, pollIntervalMs } = options;
  const schema = database.schema;
  const channel = outboxChannel(schema);
  const metrics = relayMetrics(options.registry ?? new Registry());

  // -- one batch ------------------------------------------------------------------------------

  const publishBatch = (): Promise<BatchOutcome> =>
    database.db.transaction(
      async (tx): Promise<BatchOutcome> => {
        const lease = await tx.execute<{ locked: boolean }>(
          sql`select pg_try_advisory_xact_lock(${AdvisoryLockClasses.outboxPublisher}, hashtext(${schema})) as locked`,
        );
        if (lease[0]?.locked !== true) return { kind: 'busy' };

        const rows = await tx
          .select()
          .from(outboxTable)
          .where(isNull(outboxTable.publishedAt))
          .orderBy(asc(outboxTable.seq))
          .limit(batchSizeMax)
          .for('update', { skipLocked: true });

        const publishedSeqs: bigint[] = [];
        for (const row of rows) {
          try {
            await withTimeout(
              publish({ subject: row.subject, event: row.event, headers: row.headers }),
              publishTimeoutMs,
              `publishing outbox row ${row.seq}`,
              DbErrorCodes.publishTimeout,
            );
            publishedSeqs.push(row.seq);
          } catch (error) {
            const attempts = row.attempts + 1;
            await markPublished(tx, publishedSeqs);
            await tx
              .update(outboxTable)
              .set({ attempts: sql`${outboxTable.attempts} + 1`, lastError: describe(error).slice(0, LAST_ERROR_LENGTH_MAX) })
              .where(eq(outboxTable.seq, row.seq));
            metrics.published.inc({ schema }, publishedSeqs.length);
            metrics.errors.inc({ schema, kind: 'publish' });
            logger.error(
              { err: error, schema, seq: row.seq.toString(), eventId: row.eventId, subject: row.subject, attempts },
              'outbox publish failed; the row stays pending and later rows wait behind it',
            );
            return { kind: 'failed', published: publishedSeqs.length };
          }
        }
        // The count for the pending gauge rides along with the marking: one round trip for both.
        const [, pending] = await Promise.all([markPublished(tx, publishedSeqs), countPendingIn(tx)]);
        metrics.published.inc({ schema }, publishedSeqs.length);
        return { kind: 'published', published: publishedSeqs.length, full: rows.length === batchSizeMax, pending };
      },
      { isolationLevel: 'read committed' },
    );

  // The loop and `drainOnce` take turns, so a shutdown drain waits for the batch in flight instead
  // of finding its own relay holding the publisher lock.
  let turn: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = turn.then(work, work);
    turn = run.catch(() => undefined);
    return run;
  };

  const refreshPending = async (): Promise<number> => {
    const count = await countPending(database);
    metrics.pending.set({ schema }, count);
    return count;
  };

  // -- the loop -------------------------------------------------------------------------------

  let state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  let loopDone: Promise<void> = Promise.resolve();
  let listening: Promise<ListenMeta | undefined> = Promise.resolve(undefined);
  /** A NOTIFY arrived since the current batch started; the next wakeable sleep returns at once. */
  let notified = false;
  let sleeper: { readonly wakeable: boolean; readonly wake: () => void } | undefined;

  const onNotify = (): void => {
    notified = true;
    if (sleeper?.wakeable) sleeper.wake();
  };

  const sleep = (delayMs: number, wakeable: boolean): Promise<void> => {
    if (wakeable && notified) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleeper = undefined;
        resolve();
      };
      const timer = setTimeout(wake, delayMs);
      sleeper = { wakeable, wake };
    });
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    while (state === 'running') {
      let delayMs = pollIntervalMs;
      let wakeable = true;
      try {
        notified = false;
        const outcome = await exclusive(publishBatch);
        if (outcome.kind === 'failed') {
          failures += 1;
          delayMs = retryDelayMs(failures, retryDelayMsInitial, retryDelayMsMax);
          wakeable = false;
        } else {
          failures = 0;
          // A full batch means more may be waiting: go again without sleeping.
          if (outcome.kind === 'published' && outcome.full) delayMs = 0;
        }
        if (outcome.kind === 'published') metrics.pending.set({ schema }, outcome.pending);
        else await refreshPending();
      } catch (error) {
        failures += 1;
        delayMs = retryDelayMs(failures, retryDelayMsInitial, retryDelayMsMax);
        wakeable = false;
        metrics.errors.inc({ schema, kind: 'database' });
        logger.error({ err: error, schema, failures, retryInMs: delayMs }, 'outbox relay iteration failed; retrying');
      }
      if (state === 'running' && delayMs > 0) await sleep(delayMs, wakeable);
    }
  };

  return {
    start() {
      if (state === 'running') return;
      if (state !== 'idle') throw new Error(`outbox relay of ${schema} was stopped; create a new one`);
      state = 'running';
      listening = database.sql.listen(channel, onNotify).then(
        (meta) => meta,
        (error: unknown) => {
          // Polling still finds every row; only the wake-up latency suffers.
          logger.warn({ err: error, schema, channel, pollIntervalMs }, 'outbox LISTEN failed; relying on polling');
          return undefined;
        },
      );
      loopDone = loop().catch((error: unknown) => {
        // The loop catches everything itself; reaching this is a bug worth shouting about.
        metrics.errors.inc({ schema, kind: 'loop' });
        logger.fatal({ err: error, schema }, 'outbox relay loop ended unexpectedly');
      });
      logger.info({ schema, channel, batchSizeMax, pollIntervalMs }, 'outbox relay started');
    },

    async stop(timeoutMs) {
      if (state === 'idle') {
        state = 'stopped';
        return;
      }
      if (state === 'stopped') return;
      state = 'stopping';
      sleeper?.wake();
      try {
        await withTimeout(
          (async () => {
            await loopDone;
            const meta = await listening;
            await meta?.unlisten();
          })(),
          timeoutMs,
          `stopping the outbox relay of ${schema}`,
        );
      } finally {
        state = 'stopped';
      }
      logger.info({ schema }, 'outbox relay stopped');
    },

    drainOnce() {
      return exclusive(async () => {
        let total = 0;
        for (let batch = 0; batch < DRAIN_BATCHES_MAX; batch += 1) {
          const outcome = await publishBatch();
          if (outcome.kind === 'busy') break;
          total += outcome.published;
          if (outcome.kind === 'failed' || !outcome.full) break;
        }
        return total;
      });
    },

    pending: refreshPending,

    async purgePublished(olderThanMs) {
      assertAtLeast('olderThanMs', olderThanMs, 0);
      return purgeRowsOlderThan(database, { table: 'outbox', timestampColumn: 'published_at', olderThanMs });
    },
  };
}

// ---------------------------------------------------------------------------------------------

async function markPublished(tx: DbExecutor, seqs: readonly bigint[]): Promise<void> {
  if (seqs.length === 0) return;
  await tx
    .update(outboxTable)
    .set({ publishedAt: sql`now()` })
    .where(inArray(outboxTable.seq, [...seqs]));
}

async function countPending(database: DatabaseHandle): Promise<number> {
  const rows = await database.sql<Array<{ count: number }>>`select count(*)::int as count from outbox where published_at is null`;
  return rows[0]?.count ?? 0;
}

/** `countPending` inside a transaction, which sees its own marking. */
async function countPendingIn(tx: DbExecutor): Promise<number> {
  const rows = await tx.execute<{ count: number }>(sql`select count(*)::int as count from outbox where published_at is null`);
  return rows[0]?.count ?? 0;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

interface RelayMetrics {
  readonly pending: Gauge<'schema'>;
  readonly published: Counter<'schema'>;
  readonly errors: Counter<'schema' | 'kind'>;
}

/** The relay's metrics in `registry`, created on first use (several relays may share a registry). */
function relayMetrics(registry: Registry): RelayMetrics {
  return {
    pending: getOrCreate(registry, 'strongbox_outbox_pending', Gauge, () =>
      new Gauge({ name: 'strongbox_outbox_pending', help: 'Outbox rows not yet published', labelNames: ['schema'], registers: [registry] }),
    ),
    published: getOrCreate(registry, 'strongbox_outbox_published_total', Counter, () =>
      new Counter({ name: 'strongbox_outbox_published_total', help: 'Outbox rows published and marked', labelNames: ['schema'], registers: [registry] }),
    ),
    errors: getOrCreate(registry, 'strongbox_outbox_relay_errors_total', Counter, () =>
      new Counter({
        name: 'strongbox_outbox_relay_errors_total',
        help: 'Outbox relay failures by kind: publish (the bus refused or timed out), database, loop',
        labelNames: ['schema', 'kind'],
        registers: [registry],
      }),
    ),
  };
}

function getOrCreate<T extends object>(
  registry: Registry,
  name: string,
  type: abstract new (...args: never[]) => T,
  create: () => T,
): T {
  const existing: unknown = registry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (existing instanceof type) return existing;
  throw new DbError(DbErrorCodes.invalidOption, `metric ${name} is already registered with another type`);
}
