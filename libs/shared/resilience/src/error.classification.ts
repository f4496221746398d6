import { BreakerOpenError, OperationAbortedError, PermanentError, TimeoutError, TransientError } from './errors';

/**
 * Error codes that mean "the remote could not be reached or is briefly unable to answer":
 * Node.js socket and DNS errors, undici (fetch) transport errors, postgres.js connection errors,
 * and the PostgreSQL SQLSTATEs for serialization failure, deadlock, shutdown and too many
 * connections. Retrying these can succeed; retrying anything else by default cannot.
 */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '40001',
  '40P01',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** How many `cause` links are followed when classifying. */
const CAUSE_DEPTH_MAX = 8;

/**
 * True when retrying `error` can succeed: a TransientError, a TimeoutError (ours or the DOM one of
 * `AbortSignal.timeout`), a BreakerOpenError, or an error whose `code` (or that of a cause, or of
 * an AggregateError member) is in TRANSIENT_ERROR_CODES. A PermanentError or OperationAbortedError is never transient, even when
 * its cause is.
 *
 * @example
 * await retryWithBackoff(() => fetchHead(), { attemptsMax: 5, delayMsInitial: 200, delayMsMax: 5_000, isRetryable: isTransient });
 */
export function isTransient(error: unknown): boolean {
  return classify(error, 0);
}

function classify(error: unknown, depth: number): boolean {
  if (depth > CAUSE_DEPTH_MAX || typeof error !== 'object' || error === null) return false;
  if (error instanceof PermanentError || error instanceof OperationAbortedError) return false;
  if (error instanceof TransientError || error instanceof TimeoutError || error instanceof BreakerOpenError) return true;
  // `fetch(url, { signal: AbortSignal.timeout(ms) })` rejects with this DOMException.
  if (error instanceof DOMException && error.name === 'TimeoutError') return true;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && TRANSIENT_ERROR_CODES.has(code)) return true;
  // Node's connect with several addresses (happy eyeballs) fails with an AggregateError of each attempt.
  if (Array.isArray(errors) && errors.some((member) => classify(member, depth + 1))) return true;
  return classify(cause, depth + 1);
}
