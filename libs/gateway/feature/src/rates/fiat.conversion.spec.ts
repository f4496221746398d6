// Proves the fiat conversion: exact bigint arithmetic, half-up rounding to cents, any asset
// decimals, and refusal of malformed rates (floats in exponent form, signs, garbage). Table-driven.
import { describe, expect, it } from 'vitest';
import { fiatAmount, parseRate } from './fiat.conversion';

describe('fiatAmount', () => {
  it.each([
    [12_345_678n, 6, '92.41', '1140.86'],
    [1_000_000n, 6, '1', '1.00'],
    [1n, 6, '1', '0.00'],
    [5_000n, 6, '1', '0.01'],
    [4_999n, 6, '1', '0.00'],
    [0n, 6, '0.9213', '0.00'],
    [10n ** 38n - 1n, 18, '123456789012.123456789012', '12345678901212345678901200000000.00'],
    [1_500_000_000_000_000_000n, 18, '0.000000000001', '0.00'],
    [-1_005_000n, 6, '1', '-1.01'],
    [250n, 2, '0.5', '1.25'],
  ])('%s minor (%i decimals) at %s = %s', (amountMinor, decimals, rate, expected) => {
    expect(fiatAmount(amountMinor, decimals, rate)).toBe(expected);
  });

  it.each(['', '1e3', '-1', '+1', '1.', '.5', '01', '1,5', '١', 'NaN', 'Infinity', '1.0000000000001', '1234567890123'])('refuses the rate %j', (rate) => {
    expect(() => parseRate(rate)).toThrow(RangeError);
  });
});
