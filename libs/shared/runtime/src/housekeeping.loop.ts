import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { getOrCreateCounter } from '@strongbox/shared-observability';
import { sleep, superviseLoop, type SupervisedLoop } from '@strongbox/shared-resilience';

// ---------------------------------------------------------------------------------------------
// The loop every housekeeping job shares: each pass deletes old rows table by table, one bounded
// chunk per statement (short statements, short locks) and a bounded number of chunks per pass,
// counts them in `strongbox_housekeeping_rows_purged_total{service,table}`, and runs under
// `superviseLoop` (a failing pass is retried with back-off and shows in
// `strongbox_loop_consecutive_errors{loop=<name>}`). What counts as old is each table's own rule,
// inside its `purgeChunk`.
// ---------------------------------------------------------------------------------------------

export interface HousekeepingTable {
  /** The table's name, a label of the metric. */
  readonly table: string;
  /** Deletes at most one chunk of old rows; returns how many it deleted. */
  purgeChunk(): Promise<number>;
}

export interface HousekeepingLoopOptions {
  /** Name of the supervised loop (`inbox-housekeeping`, `gateway-housekeeping`). */
  readonly name: string;
  /** The service whose tables these are; a label of the metric. */
  readonly service: string;
  readonly tables: readonly HousekeepingTable[];
  /** Rows one `purgeChunk` deletes at most: a chunk that deletes fewer ends its table's pass. */
  readonly chunkSize: number;
  /** Chunks one pass runs per table at most; the rest waits for the next pass. */
  readonly chunksPerPassMax: number;
  /** Pause between passes, the first one included. */
  readonly intervalMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Told after each pass that deleted something, with the rows deleted per table. */
  readonly onPurged?: (purged: Readonly<Record<string, number>>) => void;
}

export interface HousekeepingLoop {
  /** Runs one pass now over every table; the rows deleted per table. */
  purgeOnce(signal?: AbortSignal): Promise<Record<string, number>>;
  /** Stops the loop, letting a chunk in flight finish; throws LoopStopTimeoutError after `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
}

export function startHousekeepingLoop(options: HousekeepingLoopOptions): HousekeepingLoop {
  const { chunkSize, chunksPerPassMax, intervalMs } = options;
  for (const [name, value] of [['chunkSize', chunkSize], ['chunksPerPassMax', chunksPerPassMax], ['intervalMs', intervalMs]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${options.name}: ${name} must be a positive integer, got ${value}`);
  }
  const purged = getOrCreateCounter(options.registry, {
    name: 'strongbox_housekeeping_rows_purged_total',
    help: 'Rows housekeeping deleted because they were older than their retention.',
    labelNames: ['service', 'table'],
  });
  // The series exist from the start, so `increase()` sees 0 rather than no data.
  for (const { table } of options.tables) purged.inc({ service: options.service, table }, 0);

  async function purgeOnce(signal?: AbortSignal): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { table, purgeChunk } of options.tables) {
      let total = 0;
      for (let chunk = 0; chunk < chunksPerPassMax; chunk += 1) {
        const deleted = await purgeChunk();
        total += deleted;
        purged.inc({ service: options.service, table }, deleted);
        if (deleted < chunkSize || signal?.aborted) break;
      }
      counts[table] = total;
    }
    if (Object.values(counts).some((count) => count > 0)) options.onPurged?.(counts);
    return counts;
  }

  const loop: SupervisedLoop = superviseLoop({
    name: options.name,
    logger: options.logger,
    registry: options.registry,
    delayMsInitial: Math.min(intervalMs, 1_000),
    delayMsMax: Math.max(intervalMs, 1_000),
    consecutiveErrorsAlert: 5,
    run: async (signal) => {
      while (!signal.aborted) {
        await sleep(intervalMs, signal);
        await purgeOnce(signal);
      }
    },
  });
  return { purgeOnce, stop: (timeoutMs) => loop.stop(timeoutMs) };
}
