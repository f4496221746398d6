// Proves retryWithBackoff's contract: it stops at attemptsMax and rethrows the last error as is,
// retries only what isRetryable accepts, waits the server hint (retryAfterMs) instead of the
// back-off, and stops waiting when aborted. Also a fast-check property: the full-jitter delay is
// always within [0, min(delayMsMax, delayMsInitial * 2^attempt)]. Waits are real but tiny.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff';
import { OperationAbortedError, PermanentError, ResilienceErrorCodes, TransientError } from './errors';
import { isTransient } from './error.classification';
import { retryWithBackoff } from './retry';

const FAST = { delayMsInitial: 1, delayMsMax: 5 } as const;

describe('retryWithBackoff', () => {
  it('returns the first success, passing the attempt number', async () => {
    const attempts: number[] = [];
    const result = await retryWithBackoff(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new TransientError('busy');
        return 'done';
      },
      { ...FAST, attemptsMax: 5, isRetryable: isTransient },
    );
    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it.each([1, 2, 4])('stops after attemptsMax=%i and rethrows the last error', async (attemptsMax) => {
    let calls = 0;
    const error = await retryWithBackoff(
      async (attempt) => {
        calls += 1;
        throw new TransientError(`failure ${attempt}`);
      },
      { ...FAST, attemptsMax, isRetryable: () => true },
    ).catch((caught: unknown) => caught);
    expect(calls).toBe(attemptsMax);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(`failure ${attemptsMax}`);
  });

  it.each([
    ['a permanent error', new PermanentError('bad request')],
    ['an unclassified error', new Error('bug')],
  ])('does not retry %s', async (_case, thrown) => {
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls += 1;
          throw thrown;
        },
        { ...FAST, attemptsMax: 5, isRetryable: isTransient },
      ),
    ).rejects.toBe(thrown);
    expect(calls).toBe(1);
  });

  it('waits the server hint instead of the back-off, also beyond delayMsMax', async () => {
    const delays: number[] = [];
    const startedAt = performance.now();
    await retryWithBackoff(
      async (attempt) => {
        if (attempt === 1) throw Object.assign(new Error('429'), { retryAfterS: 0.06 });
        if (attempt === 2) throw new TransientError('flood', { retryAfterMs: 30 });
        return 'sent';
      },
      {
        attemptsMax: 3,
        delayMsInitial: 1,
        delayMsMax: 2,
        isRetryable: () => true,
        retryAfterMs: (error) => {
          if (error instanceof TransientError) return error.retryAfterMs;
          const seconds = (error as { retryAfterS?: number }).retryAfterS;
          return seconds === undefined ? undefined : seconds * 1_000;
        },
        onRetry: ({ delayMs }) => delays.push(delayMs),
      },
    );
    expect(delays).toEqual([60, 30]);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(85);
  });

  it("honours a TransientError's retryAfterMs by default", async () => {
    const delays: number[] = [];
    await retryWithBackoff(
      async (attempt) => {
        if (attempt === 1) throw new TransientError('flood', { retryAfterMs: 20 });
        return 'ok';
      },
      { ...FAST, attemptsMax: 2, isRetryable: isTransient, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(delays).toEqual([20]);
  });

  it('uses jittered exponential back-off without a hint', async () => {
    const delays: number[] = [];
    await expect(
      retryWithBackoff(
        async () => {
          throw new TransientError('down');
        },
        { attemptsMax: 5, delayMsInitial: 4, delayMsMax: 10, isRetryable: isTransient, random: () => 0.999, onRetry: ({ delayMs }) => delays.push(delayMs) },
      ),
    ).rejects.toBeInstanceOf(TransientError);
    expect(delays).toEqual([3, 7, 9, 9]);
  });

  it('stops waiting when the signal aborts, keeping the last failure as cause', async () => {
    const controller = new AbortController();
    const last = new TransientError('down');
    const pending = retryWithBackoff(
      async () => {
        throw last;
      },
      { attemptsMax: 3, delayMsInitial: 60_000, delayMsMax: 60_000, isRetryable: () => true, random: () => 0.5, signal: controller.signal, onRetry: () => controller.abort() },
    );
    const error = await pending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationAbortedError);
    expect(error).toMatchObject({ code: ResilienceErrorCodes.aborted, cause: last });
  });

  it('does not call fn when the signal is already aborted', async () => {
    let calls = 0;
    await expect(
      retryWithBackoff(
        async () => {
          calls += 1;
        },
        { ...FAST, attemptsMax: 3, isRetryable: () => true, signal: AbortSignal.abort() },
      ),
    ).rejects.toBeInstanceOf(OperationAbortedError);
    expect(calls).toBe(0);
  });

  it.each([0, -1, 1.5, 10_001])('refuses attemptsMax=%s', async (attemptsMax) => {
    await expect(retryWithBackoff(async () => 'x', { ...FAST, attemptsMax, isRetryable: () => true })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('backoffDelayMs', () => {
  it('stays within [0, min(delayMsMax, delayMsInitial * 2^attempt)] for any attempt and random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, delayMsInitial, delayMsMax, random) => {
          const delayMs = backoffDelayMs(attempt, { delayMsInitial, delayMsMax }, () => random);
          expect(Number.isInteger(delayMs)).toBe(true);
          expect(delayMs).toBeGreaterThanOrEqual(0);
          // 2^64 already exceeds any delayMsMax drawn here, and keeps 0 * 2^attempt from becoming NaN.
          expect(delayMs).toBeLessThanOrEqual(Math.min(delayMsMax, delayMsInitial * 2 ** Math.min(attempt, 64)));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('uses the whole range: the lowest and highest random values reach both ends', () => {
    const options = { delayMsInitial: 100, delayMsMax: 1_000 };
    expect(backoffDelayMs(2, options, () => 0)).toBe(0);
    expect(backoffDelayMs(2, options, () => 1)).toBe(400);
    expect(backoffDelayMs(20, options, () => 1)).toBe(1_000);
  });

  it.each([
    [-1, { delayMsInitial: 1, delayMsMax: 1 }],
    [0.5, { delayMsInitial: 1, delayMsMax: 1 }],
    [0, { delayMsInitial: -1, delayMsMax: 1 }],
    [0, { delayMsInitial: 1, delayMsMax: Number.NaN }],
  ])('refuses attempt=%s with %o', (attempt, options) => {
    expect(() => backoffDelayMs(attempt, options)).toThrow(RangeError);
  });
});
