/** Stable error codes of the resilience lib; a code is never reused for another meaning. */
export const ResilienceErrorCodes = {
  /** A call was refused without being attempted: the circuit breaker is open (or held open). */
  breakerOpen: 'RESILIENCE_ERR_BREAKER_OPEN',
  /** An operation did not finish within its time limit. */
  timeout: 'RESILIENCE_ERR_TIMEOUT',
  /** An operation, retry or wait was cancelled through its AbortSignal. */
  aborted: 'RESILIENCE_ERR_ABORTED',
  /** A failure worth retrying: the remote could not be reached or asked to come back later. */
  transient: 'RESILIENCE_ERR_TRANSIENT',
  /** A failure that will not go away by retrying: the remote said no. */
  permanent: 'RESILIENCE_ERR_PERMANENT',
  /** A supervised loop did not stop within its time limit. */
  loopStopTimeout: 'RESILIENCE_ERR_LOOP_STOP_TIMEOUT',
} as const;
export type ResilienceErrorCode = (typeof ResilienceErrorCodes)[keyof typeof ResilienceErrorCodes];

/** The states a circuit breaker reports. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** A call refused because the breaker `breaker` is open or isolated; the call was not attempted. */
export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
  readonly code = ResilienceErrorCodes.breakerOpen;
  /** The dependency may be back later: callers (and command replies) treat this as retryable. */
  readonly transient = true;

  constructor(
    readonly breaker: string,
    readonly state: Extract<BreakerState, 'open' | 'isolated'>,
    options?: { cause?: unknown },
  ) {
    super(`circuit breaker ${breaker} is ${state}; call refused`, options);
  }
}

/** The operation overran `timeoutMs`; its AbortSignal was aborted with this error as the reason. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = ResilienceErrorCodes.timeout;
  readonly transient = true;

  constructor(
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`operation timed out after ${timeoutMs} ms`, options);
  }
}

/** The caller aborted; `cause` is the signal's reason, or the last failure when a retry was cut short. */
export class OperationAbortedError extends Error {
  override readonly name = 'OperationAbortedError';
  readonly code = ResilienceErrorCodes.aborted;

  constructor(message = 'operation aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A failure worth retrying, as classified by the adapter that saw it. `retryAfterMs` carries a
 * server hint (Telegram's `retry_after`, HTTP `Retry-After`), which retries honour.
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  readonly code = ResilienceErrorCodes.transient;
  readonly transient = true;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** A failure that retrying cannot fix (bad request, forbidden, not found), as classified by its adapter. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly code = ResilienceErrorCodes.permanent;
  readonly transient = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A supervised loop's `run` did not return within the stop time limit after being aborted. */
export class LoopStopTimeoutError extends Error {
  override readonly name = 'LoopStopTimeoutError';
  readonly code = ResilienceErrorCodes.loopStopTimeout;

  constructor(
    readonly loop: string,
    readonly timeoutMs: number,
  ) {
    super(`supervised loop ${loop} did not stop within ${timeoutMs} ms`);
  }
}
