import { describe, expect, it } from 'vitest';
import { rateText } from './plans.format';

describe('rateText', () => {
  it.each([
    [450, '4.5'],
    [1_200, '12'],
    [5, '0.05'],
    [0, '0'],
    [1_001, '10.01'],
    [10_000, '100'],
  ])('shows %i basis points as %s', (bps, text) => {
    expect(rateText(bps)).toBe(text);
  });

  it.each([[-1], [1.5], [Number.NaN]])('refuses %d', (bps) => {
    expect(() => rateText(bps)).toThrow(RangeError);
  });
});
