import { describe, expect, it } from 'vitest';
import { minorUnits } from './env.fields';

describe('minorUnits', () => {
  it.each([
    ['0', 0n],
    ['1500000', 1_500_000n],
    ['99999999999999999999999999999999999999', 10n ** 38n - 1n],
  ])('reads %s exactly as a bigint', (text, expected) => {
    expect(minorUnits().parse(text)).toBe(expected);
  });

  it.each(['', '-1', '+1', '1.5', '1e6', '007', ' 1', '1 ', '١٢', '999999999999999999999999999999999999999'])('refuses %j', (text) => {
    expect(minorUnits().safeParse(text).success).toBe(false);
  });
});
