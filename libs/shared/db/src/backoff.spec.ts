// Proves the relay's retry delay grows exponentially, is capped, and jitters within the upper half
// of each step, by evaluating it with fixed random values.
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it.each([
    { failures: 1, random: 0, expected: 50 },
    { failures: 1, random: 1, expected: 100 },
    { failures: 2, random: 0, expected: 100 },
    { failures: 3, random: 1, expected: 400 },
    { failures: 5, random: 1, expected: 1_000 },
    { failures: 50, random: 0, expected: 500 },
    { failures: 0, random: 1, expected: 100 },
  ])('failure $failures with random $random waits $expected ms', ({ failures, random, expected }) => {
    expect(retryDelayMs(failures, 100, 1_000, () => random)).toBe(expected);
  });

  it('never exceeds the cap and never drops below half a step', () => {
    for (let failures = 1; failures <= 40; failures += 1) {
      const delayMs = retryDelayMs(failures, 100, 1_000);
      expect(delayMs).toBeLessThanOrEqual(1_000);
      expect(delayMs).toBeGreaterThanOrEqual(Math.min(1_000, 100 * 2 ** (failures - 1)) / 2);
    }
  });
});
