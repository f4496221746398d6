// Proves defineAsset accepts only usable asset definitions (code pattern, decimals 0..36) and
// returns a frozen value, and that sameAsset treats one code with two scales as a broken invariant.
import { describe, expect, it } from 'vitest';
import { ASSET_DECIMALS_MAX, defineAsset, sameAsset } from './asset';
import { DomainError, DomainErrorCodes } from './errors';

describe('defineAsset', () => {
  it.each([
    ['USDT', 6],
    ['DAI', 18],
    ['PTS', 0],
    ['X1', ASSET_DECIMALS_MAX],
  ])('accepts %s with %i decimals', (code, decimals) => {
    const asset = defineAsset(code, decimals);
    expect(asset).toEqual({ code, decimals });
    expect(Object.isFrozen(asset)).toBe(true);
  });

  it.each([
    ['usdt', 6, 'code'],
    ['U', 6, 'code'],
    ['1USDT', 6, 'code'],
    ['US-DT', 6, 'code'],
    ['ABCDEFGHIJKLM', 6, 'code'],
    ['USDT', -1, 'decimals'],
    ['USDT', 1.5, 'decimals'],
    ['USDT', ASSET_DECIMALS_MAX + 1, 'decimals'],
    ['USDT', Number.NaN, 'decimals'],
  ])('refuses %j with %s decimals (bad %s)', (code, decimals, problem) => {
    let caught: unknown;
    try {
      defineAsset(code, decimals);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe(DomainErrorCodes.invalidAsset);
    expect((caught as DomainError).message).toContain(problem);
  });

  it('names both problems at once', () => {
    expect(() => defineAsset('x', 99)).toThrow(/code must match.*decimals must be/);
  });
});

describe('sameAsset', () => {
  it('compares by code and throws when one code has two scales', () => {
    expect(sameAsset(defineAsset('USDT', 6), defineAsset('USDT', 6))).toBe(true);
    expect(sameAsset(defineAsset('USDT', 6), defineAsset('USDC', 6))).toBe(false);
    expect(() => sameAsset(defineAsset('USDT', 6), defineAsset('USDT', 18))).toThrow(
      expect.objectContaining({ code: DomainErrorCodes.assetMismatch }),
    );
  });
});
