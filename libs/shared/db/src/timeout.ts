import { DbError, DbErrorCodes } from './errors';

/**
 * Settles with `promise`, or rejects with a DbError of `code` after `timeoutMs`. The underlying
 * operation is not cancelled (the drivers cannot cancel every call); the caller stops waiting.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  code: typeof DbErrorCodes.timeout | typeof DbErrorCodes.publishTimeout = DbErrorCodes.timeout,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DbError(code, `${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** postgres.js takes its time limits in seconds; fractions work (it multiplies by 1000 for its timers). */
export function msToSeconds(ms: number): number {
  return ms / 1_000;
}

/** Throws DB_ERR_INVALID_OPTION unless `value` is a finite number of at least `min`. */
export function assertAtLeast(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new DbError(DbErrorCodes.invalidOption, `${name} must be a finite number >= ${min}, got ${value}`);
  }
}
