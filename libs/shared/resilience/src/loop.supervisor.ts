import { getOrCreateCounter, getOrCreateGauge } from '@strongbox/shared-observability';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { backoffDelayMs, sleep } from './backoff';
import { LoopStopTimeoutError } from './errors';

export interface SuperviseLoopOptions {
  /** Used in logs (`loop`) and as the metric label. */
  name: string;
  logger: Logger;
  /** The loop body; it runs until `signal` aborts. A return or a throw restarts it after a delay. */
  run: (signal: AbortSignal) => Promise<void>;
  /** Delay before a restart; the floor of the back-off after errors. */
  delayMsInitial: number;
  /** Ceiling of the back-off after errors. */
  delayMsMax: number;
  /** Errors in a row from which each failure is logged at error level with `alert: true`. */
  consecutiveErrorsAlert: number;
  /** Where `strongbox_loop_consecutive_errors` and `strongbox_loop_errors_total` are kept. */
  registry?: Registry;
  /**
   * A run that has lasted this long counts as healthy: the run of failures is over even though
   * `run` has not returned. Defaults to `delayMsMax`.
   */
  healthyAfterMs?: number;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
  /**
   * Called on each failure from `consecutiveErrorsAlert` in a row on (e.g. to raise an ops alert);
   * whatever it throws is logged, never stops the loop.
   */
  onRepeatedFailures?: (failure: { name: string; consecutiveErrors: number; error: unknown }) => void;
}

export interface SupervisedLoop {
  /** Aborts the signal and waits for `run` to return; throws LoopStopTimeoutError after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/** How long `stop()` waits for `run` to honour the abort when no limit is given. */
export const LOOP_STOP_TIMEOUT_MS_DEFAULT = 10_000;

/**
 * Keeps a background loop alive: when `run` throws it is restarted after exponential back-off
 * (jittered, at least `delayMsInitial`, at most `delayMsMax`); when it returns it is restarted
 * after `delayMsInitial`. Every failure is logged — as a warning, and from `consecutiveErrorsAlert`
 * failures in a row as an error with `alert: true` — and the run of failures is exported as the
 * gauge `strongbox_loop_consecutive_errors{loop}`, so the loop never dies or stalls silently.
 * A return, or a run that lasts `healthyAfterMs`, resets the count.
 *
 * @example
 * const loop = superviseLoop({ name: 'chain-head-monitor', logger, registry, delayMsInitial: 500,
 *   delayMsMax: 10_000, consecutiveErrorsAlert: 10, run: async (signal) => { while (!signal.aborted) await pollOnce(signal); } });
 * // on shutdown
 * await loop.stop();
 */
export function superviseLoop(options: SuperviseLoopOptions): SupervisedLoop {
  if (!Number.isSafeInteger(options.consecutiveErrorsAlert) || options.consecutiveErrorsAlert < 1) {
    throw new RangeError(`superviseLoop: consecutiveErrorsAlert must be a positive integer, got ${options.consecutiveErrorsAlert}`);
  }
  // Validates both delays once, before anything runs.
  backoffDelayMs(0, options);

  const labels = { loop: options.name };
  const consecutiveErrorsGauge = options.registry
    ? getOrCreateGauge(options.registry, {
        name: 'strongbox_loop_consecutive_errors',
        help: 'Failures in a row of a supervised background loop; 0 while it runs fine.',
        labelNames: ['loop'],
      })
    : undefined;
  const errorsTotal = options.registry
    ? getOrCreateCounter(options.registry, {
        name: 'strongbox_loop_errors_total',
        help: 'Failures of a supervised background loop.',
        labelNames: ['loop'],
      })
    : undefined;
  // Both series exist from the start, so `rate()` and alerts see 0 rather than no data.
  consecutiveErrorsGauge?.set(labels, 0);
  errorsTotal?.inc(labels, 0);

  const controller = new AbortController();
  const { signal } = controller;
  const logger = options.logger;
  let consecutiveErrors = 0;
  const markHealthy = () => {
    if (consecutiveErrors > 0) logger.info({ ...labels, consecutiveErrors }, `supervised loop ${options.name} recovered`);
    consecutiveErrors = 0;
    consecutiveErrorsGauge?.set(labels, 0);
  };

  const supervise = async (): Promise<void> => {
    logger.info(labels, 'supervised loop started');
    while (!signal.aborted) {
      let delayMs: number;
      const healthyTimer = setTimeout(markHealthy, options.healthyAfterMs ?? options.delayMsMax);
      try {
        await options.run(signal);
        if (signal.aborted) break;
        markHealthy();
        delayMs = options.delayMsInitial;
        logger.debug({ ...labels, restartInMs: delayMs }, 'supervised loop returned; restarting');
      } catch (error) {
        // A failure caused by stopping (an aborted request, a cancelled wait) is the stop itself.
        if (signal.aborted) break;
        consecutiveErrors += 1;
        consecutiveErrorsGauge?.set(labels, consecutiveErrors);
        errorsTotal?.inc(labels);
        delayMs = Math.max(options.delayMsInitial, backoffDelayMs(consecutiveErrors - 1, options, options.random));
        const fields = { ...labels, err: error, consecutiveErrors, restartInMs: delayMs };
        if (consecutiveErrors >= options.consecutiveErrorsAlert) {
          logger.error({ ...fields, alert: true }, `supervised loop ${options.name} keeps failing`);
          try {
            options.onRepeatedFailures?.({ name: options.name, consecutiveErrors, error });
          } catch (callbackError) {
            logger.error({ ...labels, err: callbackError }, 'onRepeatedFailures threw');
          }
        } else {
          logger.warn(fields, `supervised loop ${options.name} failed; restarting`);
        }
      } finally {
        clearTimeout(healthyTimer);
      }
      await sleep(delayMs, signal).catch(() => undefined);
    }
    logger.info(labels, 'supervised loop stopped');
  };
  // `supervise` catches everything `run` throws; this guard covers a failing logger.
  const finished = supervise().catch((error: unknown) => {
    process.emitWarning(`supervised loop ${options.name} ended unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
  });

  return {
    async stop(timeoutMs = LOOP_STOP_TIMEOUT_MS_DEFAULT) {
      controller.abort(new Error(`supervised loop ${options.name} stopping`));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        const outcome = await Promise.race([finished.then(() => 'stopped' as const), timedOut]);
        if (outcome === 'timeout') {
          logger.error({ ...labels, timeoutMs, alert: true }, `supervised loop ${options.name} did not stop in time`);
          throw new LoopStopTimeoutError(options.name, timeoutMs);
        }
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
