import { MessagingError, MessagingErrorCodes } from './errors';

/**
 * Settles with `promise`, or rejects with a transient MESSAGING_ERR_TIMEOUT after `timeoutMs`. The
 * underlying call is not cancelled (NATS requests cannot be withdrawn); the caller stops waiting.
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new MessagingError(MessagingErrorCodes.timeout, `${what} did not finish within ${timeoutMs} ms`, { transient: true })),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws MESSAGING_ERR_INVALID_OPTION unless `value` is an integer within [min, max]. */
export function assertIntegerInRange(name: string, value: number, min: number, max: number = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts; used for back-off between pull attempts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
