// Proves the interest arithmetic of plan deposits: known values by hand, and for random principals,
// rates and terms (fast-check) that the daily amounts add up to exactly floor(P·r·term/3,650,000),
// each day being floor(P·r/3,650,000) or one more, so no more than one minor unit is ever lost to
// rounding. Also the UTC day helpers, including month, year and leap-day boundaries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, interestForDay, interestThroughDay, maturityOf, utcDay } from './plans.interest';

describe('interest', () => {
  it.each([
    // principal, rate bps, days, expected total
    [1_000_000_000n, 450, 365, 45_000_000n],
    [1_000_000_000n, 450, 1, 123_287n],
    [1_000_000_000n, 450, 2, 246_575n],
    [1n, 10_000, 365, 1n],
    [1n, 10_000, 364, 0n],
    [100n, 0, 365, 0n],
    [10n ** 38n - 1n, 10_000, 3_650, (10n ** 38n - 1n) * 10n],
  ])('through day: P=%s at %s bp over %s days is %s', (principal, rateBps, days, expected) => {
    expect(interestThroughDay(principal, rateBps, days)).toBe(expected);
  });

  it('carries the rounding remainder into later days', () => {
    // 123,287.67… a day: the third of a unit left over each day makes every third day one larger.
    expect([1, 2, 3, 4].map((day) => interestForDay(1_000_000_000n, 450, day))).toEqual([123_287n, 123_288n, 123_288n, 123_287n]);
  });

  it('sums the days to the floored total and never strays more than one unit from the daily floor', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 20n }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 400 }), (principal, rateBps, term) => {
        const floorPerDay = (principal * BigInt(rateBps)) / 3_650_000n;
        let sum = 0n;
        for (let day = 1; day <= term; day += 1) {
          const amount = interestForDay(principal, rateBps, day);
          expect(amount === floorPerDay || amount === floorPerDay + 1n).toBe(true);
          sum += amount;
        }
        expect(sum).toBe(interestThroughDay(principal, rateBps, term));
        // The exact interest minus what is paid is in [0, 1) minor units.
        const exactTimes = principal * BigInt(rateBps) * BigInt(term);
        expect(exactTimes - sum * 3_650_000n).toBeGreaterThanOrEqual(0n);
        expect(exactTimes - sum * 3_650_000n).toBeLessThan(3_650_000n);
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['a zero principal', () => interestForDay(0n, 1, 1)],
    ['a negative rate', () => interestForDay(1n, -1, 1)],
    ['a fractional rate', () => interestForDay(1n, 1.5, 1)],
    ['day 0', () => interestForDay(1n, 1, 0)],
    ['negative days', () => interestThroughDay(1n, 1, -1)],
  ])('refuses %s', (_what, call) => {
    expect(call).toThrow(RangeError);
  });
});

describe('UTC days', () => {
  it('names the UTC day whatever the instant', () => {
    expect(utcDay(new Date('2030-01-01T23:59:59.999Z'))).toBe('2030-01-01');
    expect(utcDay(new Date('2030-01-02T00:00:00+02:00'))).toBe('2030-01-01');
  });

  it.each([
    ['2030-01-31', 1, '2030-02-01'],
    ['2030-12-31', 1, '2031-01-01'],
    ['2028-02-28', 1, '2028-02-29'],
    ['2028-03-01', -1, '2028-02-29'],
    ['2030-03-01', -1, '2030-02-28'],
    ['2030-01-01', 365, '2031-01-01'],
  ])('%s + %s days = %s', (day, days, expected) => {
    expect(addDays(day, days)).toBe(expected);
    expect(daysBetween(day, expected)).toBe(days);
  });

  it.each(['2030-02-30', '2030-1-01', 'yesterday', ''])('refuses the day %j', (day) => {
    expect(() => addDays(day, 1)).toThrow(RangeError);
  });

  it('matures exactly term × 24 h after opening', () => {
    expect(maturityOf(new Date('2030-01-01T10:00:00Z'), 30).toISOString()).toBe('2030-01-31T10:00:00.000Z');
  });
});
