// Proves withTimeout's contract with real short timers: the result passes through in time; past
// the limit it rejects with TimeoutError and aborts the signal it gave fn (reason: that error),
// even when fn ignores the signal; a parent signal aborts it too; and the timer does not outlive it.
import { describe, expect, it } from 'vitest';
import { OperationAbortedError, ResilienceErrorCodes, TimeoutError } from './errors';
import { isTransient } from './error.classification';
import { withTimeout } from './timeout';

describe('withTimeout', () => {
  it('returns the result when fn finishes in time', async () => {
    await expect(withTimeout(1_000, async () => 42)).resolves.toBe(42);
  });

  it('passes fn failures through unchanged', async () => {
    const failure = new Error('refused');
    await expect(
      withTimeout(1_000, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(
      withTimeout(1_000, () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });

  it('rejects with TimeoutError and aborts the signal when the limit passes', async () => {
    let seen: AbortSignal | undefined;
    const error = await withTimeout(20, (signal) => {
      seen = signal;
      return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('stopped by signal'))));
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: ResilienceErrorCodes.timeout, timeoutMs: 20 });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(isTransient(error)).toBe(true);
  });

  it('rejects on time even when fn ignores the signal', async () => {
    const startedAt = performance.now();
    await expect(withTimeout(20, () => new Promise(() => undefined))).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
  });

  it('is aborted by a parent signal', async () => {
    const parent = new AbortController();
    let seen: AbortSignal | undefined;
    const pending = withTimeout(
      10_000,
      (signal) => {
        seen = signal;
        return new Promise(() => undefined);
      },
      { signal: parent.signal },
    );
    parent.abort(new Error('shutting down'));
    await expect(pending).rejects.toBeInstanceOf(OperationAbortedError);
    expect(seen?.aborted).toBe(true);
    await expect(withTimeout(10_000, async () => 1, { signal: parent.signal })).rejects.toBeInstanceOf(OperationAbortedError);
  });

  it.each([0, -5, Number.NaN, 2 ** 31])('refuses timeoutMs=%s', (timeoutMs) => {
    expect(() => withTimeout(timeoutMs, async () => 1)).toThrow(RangeError);
  });
});
