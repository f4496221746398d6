import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { INBOX_PURGE_INTERVAL_MS_DEFAULT, INBOX_RETENTION_MS_DEFAULT, INBOX_RETENTION_MS_MIN } from '@strongbox/shared-config';
import { purgeInbox, PURGE_CHUNK_SIZE_MAX, type DatabaseHandle } from '@strongbox/shared-db';
import { startHousekeepingLoop } from './housekeeping.loop';
import type { RuntimeConfig } from './runtime.config';
import type { ServiceContext } from './service.runtime';

// ---------------------------------------------------------------------------------------------
// Inbox housekeeping: every service forgets the event ids it handled once no copy can come back.
// ---------------------------------------------------------------------------------------------
//
// The retention rule. A handled event's inbox row must outlive every way a copy of it can still
// reach the handler, because a copy that finds no row is handled again:
//
// - JetStream redelivery after a lost ack. The row commits before the ack; a lost ack brings the
//   message back once the ack wait is over: 30 s for domain events (EVENT_CONSUMER_DEFAULTS,
//   10 deliveries, back-off 1–30 s, so a message is settled within minutes), at most 300 s for
//   Telegram updates (TELEGRAM_UPDATE_ACK_WAIT_MS). When the consumer process died with the
//   message, the copy comes at its restart, however late: but no purge runs while the service is
//   down, and after a start the first purge waits one interval (60 s), while each consumer gets
//   its one unacknowledged message back (maxAckPending 1) at its first fetch and finds its row.
// - The outbox relay re-publishing after a crash between publish and mark: at its next pass, about
//   1 s later plus at most 15 s of publish timeout, which the stream's 2-minute duplicate window
//   (DUPLICATE_WINDOW_MS) already drops. A producer that stays down re-publishes when it is back:
//   the inbox covers a producer outage up to the retention; a producer down longer than that
//   needs INBOX_RETENTION_MS raised on the consumers before it comes back (docs/adr/0003).
// - Telegram re-sending an update it believes undelivered, for up to 24 h after the update; the
//   copy is a new message in TG_UPDATES (outside the duplicate window) and may wait there up to
//   the stream's max age, 24 h (TELEGRAM_UPDATES_MAX_AGE_MS), before a worker takes it. A copy can
//   so reach the worker up to 48 h after the first was handled: the longest path of all.
// - The stream duplicate window (2 min) only removes copies; it never brings one back.
//
// Hence 2 days, the default and the floor (INBOX_RETENTION_MS_MIN): the 48 h Telegram bound, and far
// beyond the seconds-to-minutes of every other path. INBOX_RETENTION_MS may raise it, never lower it.

/** Rows one purge statement deletes: short statements, short locks, a stop within one of them. */
export const INBOX_PURGE_CHUNK_SIZE_DEFAULT = 1_000;
/** Chunks one pass deletes at most; the rest waits for the next pass, so a pass stays bounded. */
export const INBOX_PURGE_CHUNKS_PER_PASS_MAX = 1_000;

export interface InboxHousekeepingOptions {
  /** The service whose inbox this is; a label of the metric. */
  readonly service: string;
  readonly database: Pick<DatabaseHandle, 'sql'>;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Rows older than this are purged; at least INBOX_RETENTION_MS_MIN (2 days, the default). */
  readonly retentionMs?: number;
  /** Pause between passes, the first one included; 60 s when not given. */
  readonly intervalMs?: number;
  /** Rows per delete statement, 1 to PURGE_CHUNK_SIZE_MAX; INBOX_PURGE_CHUNK_SIZE_DEFAULT when not given. */
  readonly chunkSize?: number;
}

export interface InboxHousekeeping {
  /** Runs one pass now (chunk after chunk until no old row is left) and returns how many rows it deleted. */
  purgeOnce(signal?: AbortSignal): Promise<number>;
  /** Stops the loop, letting a chunk in flight finish; throws LoopStopTimeoutError after `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Purges the inbox rows older than the retention, in chunks, every `intervalMs` (the first pass one
 * interval after start), under `superviseLoop` (a failing pass is retried with back-off and shows
 * in `strongbox_loop_consecutive_errors{loop="inbox-housekeeping"}`). Deleted rows are counted in
 * `strongbox_housekeeping_rows_purged_total{service,table="inbox"}` and logged at info when a pass
 * deleted any.
 *
 * @example
 * const housekeeping = startInboxHousekeeping({ service: 'notifier', database, logger, registry });
 * // on shutdown
 * await housekeeping.stop(5_000);
 */
export function startInboxHousekeeping(options: InboxHousekeepingOptions): InboxHousekeeping {
  const retentionMs = options.retentionMs ?? INBOX_RETENTION_MS_DEFAULT;
  const intervalMs = options.intervalMs ?? INBOX_PURGE_INTERVAL_MS_DEFAULT;
  const chunkSize = options.chunkSize ?? INBOX_PURGE_CHUNK_SIZE_DEFAULT;
  if (!Number.isSafeInteger(retentionMs) || retentionMs < INBOX_RETENTION_MS_MIN) {
    throw new RangeError(`inbox retention must be an integer of at least ${INBOX_RETENTION_MS_MIN} ms, got ${retentionMs}`);
  }
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError(`inbox purge interval must be a positive integer, got ${intervalMs}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1 || chunkSize > PURGE_CHUNK_SIZE_MAX) {
    throw new RangeError(`inbox purge chunk size must be an integer from 1 to ${PURGE_CHUNK_SIZE_MAX}, got ${chunkSize}`);
  }
  const { database, logger } = options;
  const loop = startHousekeepingLoop({
    name: 'inbox-housekeeping',
    service: options.service,
    tables: [{ table: 'inbox', purgeChunk: () => purgeInbox(database, retentionMs, { chunkSize, chunksMax: 1 }) }],
    chunkSize,
    chunksPerPassMax: INBOX_PURGE_CHUNKS_PER_PASS_MAX,
    intervalMs,
    logger,
    registry: options.registry,
    onPurged: (purged) => logger.info({ table: 'inbox', purged: purged['inbox'], retentionMs }, 'old inbox rows purged'),
  });
  return { purgeOnce: async (signal) => (await loop.purgeOnce(signal))['inbox'] ?? 0, stop: (timeoutMs) => loop.stop(timeoutMs) };
}

/**
 * Starts the inbox housekeeping of a service with its config (INBOX_RETENTION_MS,
 * INBOX_PURGE_INTERVAL_MS; defaults when a schema lacks them) and stops it on shutdown, before the
 * database closes.
 *
 * @example
 * const database = await context.openDatabase({ tables, migrationsFolder });
 * startServiceInboxHousekeeping(context, database);
 */
export function startServiceInboxHousekeeping<TConfig extends RuntimeConfig>(
  context: Pick<ServiceContext<TConfig>, 'service' | 'config' | 'logger' | 'registry' | 'onShutdown'>,
  database: Pick<DatabaseHandle, 'sql'>,
): InboxHousekeeping {
  const housekeeping = startInboxHousekeeping({
    service: context.service,
    database,
    logger: context.logger.child({ component: 'inbox-housekeeping' }),
    registry: context.registry,
    ...(context.config.INBOX_RETENTION_MS === undefined ? {} : { retentionMs: context.config.INBOX_RETENTION_MS }),
    ...(context.config.INBOX_PURGE_INTERVAL_MS === undefined ? {} : { intervalMs: context.config.INBOX_PURGE_INTERVAL_MS }),
  });
  context.onShutdown('inbox housekeeping', () => housekeeping.stop(Math.max(1_000, Math.floor(context.config.SHUTDOWN_TIMEOUT_MS / 4))));
  return housekeeping;
}
