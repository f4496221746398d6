import { TIMER_DELAY_MS_MAX } from './backoff';
import { OperationAbortedError, TimeoutError } from './errors';

/**
 * Runs `fn` with a time limit. When `timeoutMs` passes first, the signal handed to `fn` is aborted
 * (reason: the TimeoutError) so the work can stop, and the returned promise rejects with
 * TimeoutError whether or not `fn` honours the signal. An optional parent `signal` aborts it too,
 * rejecting with OperationAbortedError.
 *
 * @example
 * const block = await withTimeout(5_000, (signal) => rpc.getBlockNumber({ signal }));
 */
export function withTimeout<T>(timeoutMs: number, fn: (signal: AbortSignal) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > TIMER_DELAY_MS_MAX) {
    throw new RangeError(`withTimeout: timeoutMs must be in (0, ${TIMER_DELAY_MS_MAX}], got ${timeoutMs}`);
  }
  const parent = options.signal;
  if (parent?.aborted) return Promise.reject(new OperationAbortedError('operation aborted before it started', { cause: parent.reason }));

  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    const onParentAbort = () => {
      controller.abort(parent?.reason);
      reject(new OperationAbortedError('operation aborted', { cause: parent?.reason }));
    };
    parent?.addEventListener('abort', onParentAbort, { once: true });
    // `then` also turns a synchronous throw inside `fn` into a rejection. A settlement after the
    // timeout is ignored: the promise has already been rejected.
    Promise.resolve()
      .then(() => fn(controller.signal))
      .then(resolve, reject)
      .finally(() => {
        clearTimeout(timer);
        parent?.removeEventListener('abort', onParentAbort);
      });
  });
}
