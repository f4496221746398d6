import { describe, expect, it } from 'vitest';
import { checkWithdrawalLimits, reviewReasons, ReviewReasons, WithdrawalLimitReasons, type WithdrawalFacts } from './withdrawal.policy';

const limits = { minMinor: 10n, maxMinor: 1_000n, dailyMaxMinor: 1_500n, feeMinor: 1n };
const rules = { velocityMaxPerHour: 3, afterDepositCoolingMs: 60_000 };
const now = new Date('2026-11-23T12:00:00Z');
const quiet: WithdrawalFacts = {
  withdrawnLast24hMinor: 0n,
  withdrawalsLastHour: 0,
  addressUsedBefore: true,
  lastDepositAt: null,
  userBlacklisted: false,
};

describe('checkWithdrawalLimits', () => {
  it.each([
    [9n, 0n, WithdrawalLimitReasons.belowMinimum],
    [1_001n, 0n, WithdrawalLimitReasons.aboveMaximum],
    [600n, 901n, WithdrawalLimitReasons.dailyLimit],
  ])('refuses %s with %s already withdrawn today: %s', (amount, withdrawn, reason) => {
    const check = checkWithdrawalLimits(amount, limits, { withdrawnLast24hMinor: withdrawn });
    expect(check).toMatchObject({ ok: false, reason });
  });

  it.each([
    [10n, 0n],
    [1_000n, 0n],
    [600n, 900n],
  ])('accepts %s with %s already withdrawn today (limits are inclusive)', (amount, withdrawn) => {
    expect(checkWithdrawalLimits(amount, limits, { withdrawnLast24hMinor: withdrawn })).toEqual({ ok: true });
  });

  it('says how much of the daily limit is left', () => {
    const check = checkWithdrawalLimits(600n, limits, { withdrawnLast24hMinor: 1_400n });
    expect(check.ok === false && check.message).toContain('100 left');
  });
});

describe('reviewReasons', () => {
  it('finds nothing for a quiet user sending to a known address', () => {
    expect(reviewReasons(quiet, rules, now)).toEqual([]);
  });

  it('names every rule that fires, in a stable order', () => {
    const facts: WithdrawalFacts = {
      withdrawnLast24hMinor: 0n,
      withdrawalsLastHour: 3,
      addressUsedBefore: false,
      lastDepositAt: new Date(now.getTime() - 59_999),
      userBlacklisted: true,
    };
    expect(reviewReasons(facts, rules, now)).toEqual([
      ReviewReasons.blacklisted,
      ReviewReasons.velocity,
      ReviewReasons.newAddress,
      ReviewReasons.soonAfterDeposit,
    ]);
  });

  it('lets a deposit older than the cooling period pass', () => {
    expect(reviewReasons({ ...quiet, lastDepositAt: new Date(now.getTime() - 60_000) }, rules, now)).toEqual([]);
  });

  it('fires velocity from the threshold on, not before', () => {
    expect(reviewReasons({ ...quiet, withdrawalsLastHour: 2 }, rules, now)).toEqual([]);
    expect(reviewReasons({ ...quiet, withdrawalsLastHour: 3 }, rules, now)).toEqual([ReviewReasons.velocity]);
  });
});
