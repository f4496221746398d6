import { OperationAbortedError } from './errors';

/** Longest delay a single timer may hold in Node.js (about 24.8 days); longer values fire at once. */
export const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/**
 * Exponential back-off with full jitter: a delay drawn uniformly from
 * `[0, min(delayMsMax, delayMsInitial * 2^attempt)]`, where `attempt` counts the retries made so
 * far (0 before the first retry). Full jitter spreads clients that failed together, so they do
 * not all come back at the same moment. Pure: pass `random` to make it deterministic.
 *
 * @example
 * backoffDelayMs(0, { delayMsInitial: 100, delayMsMax: 5_000 }) // somewhere in [0, 100]
 * backoffDelayMs(10, { delayMsInitial: 100, delayMsMax: 5_000 }) // somewhere in [0, 5000]
 */
export function backoffDelayMs(
  attempt: number,
  options: { delayMsInitial: number; delayMsMax: number },
  random: () => number = Math.random,
): number {
  if (!Number.isSafeInteger(attempt) || attempt < 0) throw new RangeError(`backoffDelayMs: attempt must be a non-negative integer, got ${attempt}`);
  assertDelay('delayMsInitial', options.delayMsInitial);
  assertDelay('delayMsMax', options.delayMsMax);
  // 2^attempt overflows to Infinity for large attempts, and min() then picks delayMsMax; a zero
  // initial delay is handled first, since 0 * Infinity is NaN.
  const ceilingMs = options.delayMsInitial === 0 ? 0 : Math.min(options.delayMsMax, options.delayMsInitial * 2 ** attempt);
  const fraction = Math.min(Math.max(random(), 0), 1);
  return Math.floor(fraction * ceilingMs);
}

function assertDelay(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > TIMER_DELAY_MS_MAX) {
    throw new RangeError(`${name} must be a number of milliseconds in [0, ${TIMER_DELAY_MS_MAX}], got ${value}`);
  }
}

/**
 * Waits `delayMs`, or rejects with OperationAbortedError as soon as `signal` aborts (at once when
 * it already has).
 */
export function sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new OperationAbortedError('wait aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new OperationAbortedError('wait aborted', { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(Math.max(delayMs, 0), TIMER_DELAY_MS_MAX));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
