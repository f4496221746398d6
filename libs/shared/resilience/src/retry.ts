import { backoffDelayMs, sleep } from './backoff';
import { OperationAbortedError, TransientError } from './errors';

/** Most attempts one retry loop may make, whatever the caller asks. */
export const RETRY_ATTEMPTS_MAX = 10_000;
/** Longest server hint honoured; a longer `retry_after` is cut to this rather than parking a worker for hours. */
export const RETRY_AFTER_MS_MAX = 15 * 60_000;

export interface RetryOptions {
  /** Total calls of `fn`, the first included; 1 means no retry. */
  attemptsMax: number;
  delayMsInitial: number;
  delayMsMax: number;
  /** Which failures are retried; any other is thrown at once. Usually `isTransient`. */
  isRetryable: (error: unknown) => boolean;
  /** Aborts the wait between attempts and is handed to `fn`. */
  signal?: AbortSignal;
  /**
   * A server hint for the wait before the next attempt (Telegram `retry_after`, HTTP `Retry-After`),
   * used instead of the back-off and not capped by `delayMsMax` (only by RETRY_AFTER_MS_MAX).
   * Defaults to the `retryAfterMs` of a TransientError.
   */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** Called before each wait, e.g. to log the failure. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Source of jitter; tests pass a fixed one. */
  random?: () => number;
}

const defaultRetryAfterMs = (error: unknown): number | undefined => (error instanceof TransientError ? error.retryAfterMs : undefined);

/**
 * Calls `fn(attempt, signal)` (attempt counts from 1) until it succeeds, it fails with an error
 * `isRetryable` refuses, or `attemptsMax` calls have failed — then rethrows that last error as it
 * is. Between attempts it waits the server's hint when there is one, otherwise exponential back-off
 * with full jitter. Aborting `signal` ends the wait with OperationAbortedError (cause: the last
 * failure).
 *
 * @example
 * const sent = await retryWithBackoff(() => api.sendMessage(chatId, text), {
 *   attemptsMax: 5, delayMsInitial: 500, delayMsMax: 30_000,
 *   isRetryable: (error) => isTransient(error) || (error instanceof GrammyError && error.error_code === 429),
 *   // Telegram answers 429 with parameters.retry_after in seconds.
 *   retryAfterMs: (error) => {
 *     const seconds = error instanceof GrammyError ? error.parameters.retry_after : undefined;
 *     return seconds === undefined ? undefined : seconds * 1_000;
 *   },
 * });
 */
export async function retryWithBackoff<T>(fn: (attempt: number, signal: AbortSignal) => Promise<T>, options: RetryOptions): Promise<T> {
  if (!Number.isSafeInteger(options.attemptsMax) || options.attemptsMax < 1 || options.attemptsMax > RETRY_ATTEMPTS_MAX) {
    throw new RangeError(`retryWithBackoff: attemptsMax must be an integer in [1, ${RETRY_ATTEMPTS_MAX}], got ${options.attemptsMax}`);
  }
  const signal = options.signal ?? new AbortController().signal;
  const retryAfterMs = options.retryAfterMs ?? defaultRetryAfterMs;
  for (let attempt = 1; ; attempt += 1) {
    if (signal.aborted) throw new OperationAbortedError('retry aborted', { cause: signal.reason });
    try {
      return await fn(attempt, signal);
    } catch (error) {
      if (signal.aborted) throw new OperationAbortedError('retry aborted', { cause: error });
      if (attempt >= options.attemptsMax || !options.isRetryable(error)) throw error;
      const hintMs = retryAfterMs(error);
      const delayMs =
        hintMs !== undefined && Number.isFinite(hintMs) && hintMs >= 0
          ? Math.min(Math.ceil(hintMs), RETRY_AFTER_MS_MAX)
          : backoffDelayMs(attempt - 1, options, options.random);
      options.onRetry?.({ attempt, delayMs, error });
      try {
        await sleep(delayMs, signal);
      } catch {
        throw new OperationAbortedError('retry aborted while waiting', { cause: error });
      }
    }
  }
}
