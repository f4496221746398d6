import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DbExecutor } from '@strongbox/shared-db';
import { purgeButtonIntents, purgeIdleSessions } from '@strongbox/gateway-data-access';
import { startHousekeepingLoop } from '@strongbox/shared-runtime';

// ---------------------------------------------------------------------------------------------
// Gateway housekeeping: deletes button intents and dialog sessions nobody can need any more, in
// bounded chunks, so neither table grows without end (ADR 17).
// ---------------------------------------------------------------------------------------------
//
// button_intents. Invariant: an intent row outlives every button that can claim it. A button is
// refused as expired once older than the maximum age (the codec, by the time in its intent id and
// under its MAC), and the row of an intent is written when one of its buttons is pressed, so after
// the buttons were made: a row whose `used_at` is older than the maximum age belongs to buttons
// that are all refused already. The margin covers clocks (the gateway's judging the age,
// PostgreSQL's stamping and purging) and a press that waited in the update stream. Only then may a
// "once" button's row go; the ledger's own idempotency keys are kept just 2 days, so until expiry
// this row is what keeps an old confirm button from running twice.
//
// sessions. A row may go only when Redis cannot still hold a copy of it: a copy left behind would
// carry a version above the one a new row starts at (1), and the compare-and-set would then keep
// that stale copy over every later write. Every copy is put into Redis after its row's
// `updated_at` was set (written, or touchSessionsForCopy), and expires SESSION_REDIS_TTL_MS after
// it was put there; so a row idle for longer than the TTL plus the margin has no copy left. Rows
// marked needs_sync are never purged: Redis may hold an older version of them (or one from a
// snapshot) that only their sync replaces. A deleted row is a session that starts empty, which is
// also what Redis's TTL does to an idle user's dialog.

/** Added to the maximum button age and to the Redis TTL before a row is purged: clocks, queued updates. */
export const HOUSEKEEPING_MARGIN_MS = 24 * 60 * 60_000;
/** Pause between passes, the first one included. */
export const GATEWAY_HOUSEKEEPING_INTERVAL_MS_DEFAULT = 10 * 60_000;
/** Rows one delete statement removes: short statements, short locks. */
export const GATEWAY_HOUSEKEEPING_CHUNK_DEFAULT = 1_000;
/** Chunks one pass runs per table at most; the rest waits for the next pass. */
export const GATEWAY_HOUSEKEEPING_CHUNKS_PER_PASS_MAX = 100;

export interface GatewayHousekeepingOptions {
  /** The gateway's database (`database.db`). */
  readonly db: DbExecutor;
  readonly logger: Logger;
  readonly registry: Registry;
  /** The age from which buttons are refused as expired (BOT_BUTTON_MAX_AGE_S in ms). */
  readonly buttonMaxAgeMs: number;
  /** How long Redis keeps a session copy (SESSION_REDIS_TTL_MS). */
  readonly sessionRedisTtlMs: number;
  readonly intervalMs?: number;
  readonly chunkSize?: number;
}

export interface GatewayHousekeepingPass {
  readonly buttonIntents: number;
  readonly sessions: number;
}

export interface GatewayHousekeeping {
  /** One pass now over both tables; the rows deleted. */
  purgeOnce(signal?: AbortSignal): Promise<GatewayHousekeepingPass>;
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Starts the loop (under `superviseLoop`, named `gateway-housekeeping`): every `intervalMs` it deletes
 * button intents claimed more than `buttonMaxAgeMs + HOUSEKEEPING_MARGIN_MS` ago and sessions idle for
 * more than `sessionRedisTtlMs + HOUSEKEEPING_MARGIN_MS` (not needs_sync), counting them in
 * `strongbox_housekeeping_rows_purged_total{service="bot-gateway",table}`.
 */
export function startGatewayHousekeeping(options: GatewayHousekeepingOptions): GatewayHousekeeping {
  const intervalMs = options.intervalMs ?? GATEWAY_HOUSEKEEPING_INTERVAL_MS_DEFAULT;
  const chunkSize = options.chunkSize ?? GATEWAY_HOUSEKEEPING_CHUNK_DEFAULT;
  const intentsOlderThanMs = options.buttonMaxAgeMs + HOUSEKEEPING_MARGIN_MS;
  const sessionsIdleMs = options.sessionRedisTtlMs + HOUSEKEEPING_MARGIN_MS;
  // intervalMs and chunkSize are checked by startHousekeepingLoop.
  for (const [name, value] of [['buttonMaxAgeMs', options.buttonMaxAgeMs], ['sessionRedisTtlMs', options.sessionRedisTtlMs]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`gateway housekeeping: ${name} must be a positive integer, got ${value}`);
  }
  const { db, logger } = options;
  const loop = startHousekeepingLoop({
    name: 'gateway-housekeeping',
    service: 'bot-gateway',
    tables: [
      { table: 'button_intents', purgeChunk: () => purgeButtonIntents(db, intentsOlderThanMs, chunkSize) },
      { table: 'sessions', purgeChunk: () => purgeIdleSessions(db, sessionsIdleMs, chunkSize) },
    ],
    chunkSize,
    chunksPerPassMax: GATEWAY_HOUSEKEEPING_CHUNKS_PER_PASS_MAX,
    intervalMs,
    logger,
    registry: options.registry,
    onPurged: (purged) =>
      logger.info({ buttonIntents: purged['button_intents'], sessions: purged['sessions'], intentsOlderThanMs, sessionsIdleMs }, 'old button intents and idle sessions purged'),
  });
  return {
    async purgeOnce(signal) {
      const purged = await loop.purgeOnce(signal);
      return { buttonIntents: purged['button_intents'] ?? 0, sessions: purged['sessions'] ?? 0 };
    },
    stop: (timeoutMs) => loop.stop(timeoutMs),
  };
}
