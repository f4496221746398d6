// ---------------------------------------------------------------------------------------------
// Withdrawal policy: hard limits refuse a withdrawal; fraud rules never refuse silently, they send
// it to an admin (`awaiting_approval`) with the reasons. Pure functions over facts the caller reads
// inside the same transaction that holds the money, so the facts cannot change underneath.
// ---------------------------------------------------------------------------------------------

export interface WithdrawalLimits {
  /** Smallest withdrawal, minor units. */
  readonly minMinor: bigint;
  /** Largest single withdrawal, minor units. */
  readonly maxMinor: bigint;
  /** Most a user may withdraw in any rolling 24 h (requested, not cancelled, rejected or failed). */
  readonly dailyMaxMinor: bigint;
  /** Network fee charged as a linked leg to the fees account. */
  readonly feeMinor: bigint;
}

export interface FraudRules {
  /** More withdrawals than this in the last hour is velocity worth a look. */
  readonly velocityMaxPerHour: number;
  /** A withdrawal this soon after the user's last credited deposit is worth a look. */
  readonly afterDepositCoolingMs: number;
}

/** What the ledger knows about the user when the withdrawal is requested. */
export interface WithdrawalFacts {
  /** Sum of the user's withdrawals in the last 24 h that still count against the limit. */
  readonly withdrawnLast24hMinor: bigint;
  /** The user's withdrawals requested in the last hour. */
  readonly withdrawalsLastHour: number;
  /** Whether the user has withdrawn to this address before. */
  readonly addressUsedBefore: boolean;
  /** When the user's last deposit was credited, if ever. */
  readonly lastDepositAt: Date | null;
  /** An admin blocked withdrawals for this user. */
  readonly userBlacklisted: boolean;
}

export const WithdrawalLimitReasons = {
  belowMinimum: 'below_minimum',
  aboveMaximum: 'above_maximum',
  dailyLimit: 'daily_limit',
} as const;
export type WithdrawalLimitReason = (typeof WithdrawalLimitReasons)[keyof typeof WithdrawalLimitReasons];

export type LimitCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: WithdrawalLimitReason; readonly limitMinor: bigint; readonly message: string };

/** Refuses a withdrawal outside the hard limits; the message says which limit and its value. */
export function checkWithdrawalLimits(amountMinor: bigint, limits: WithdrawalLimits, facts: Pick<WithdrawalFacts, 'withdrawnLast24hMinor'>): LimitCheck {
  if (amountMinor < limits.minMinor) {
    return { ok: false, reason: WithdrawalLimitReasons.belowMinimum, limitMinor: limits.minMinor, message: `the minimum withdrawal is ${limits.minMinor} minor units` };
  }
  if (amountMinor > limits.maxMinor) {
    return { ok: false, reason: WithdrawalLimitReasons.aboveMaximum, limitMinor: limits.maxMinor, message: `the maximum withdrawal is ${limits.maxMinor} minor units` };
  }
  if (facts.withdrawnLast24hMinor + amountMinor > limits.dailyMaxMinor) {
    const left = limits.dailyMaxMinor - facts.withdrawnLast24hMinor;
    return {
      ok: false,
      reason: WithdrawalLimitReasons.dailyLimit,
      limitMinor: limits.dailyMaxMinor,
      message: `the 24 h limit is ${limits.dailyMaxMinor} minor units; ${left > 0n ? left : 0n} left`,
    };
  }
  return { ok: true };
}

export const ReviewReasons = {
  blacklisted: 'user_blacklisted',
  velocity: 'velocity',
  newAddress: 'new_destination_address',
  soonAfterDeposit: 'soon_after_deposit',
} as const;
export type ReviewReason = (typeof ReviewReasons)[keyof typeof ReviewReasons];

/** The fraud rules that fire; any reason sends the withdrawal to admin approval. Ordered, stable. */
export function reviewReasons(facts: WithdrawalFacts, rules: FraudRules, now: Date): ReviewReason[] {
  const reasons: ReviewReason[] = [];
  if (facts.userBlacklisted) reasons.push(ReviewReasons.blacklisted);
  if (facts.withdrawalsLastHour >= rules.velocityMaxPerHour) reasons.push(ReviewReasons.velocity);
  if (!facts.addressUsedBefore) reasons.push(ReviewReasons.newAddress);
  if (facts.lastDepositAt && now.getTime() - facts.lastDepositAt.getTime() < rules.afterDepositCoolingMs) reasons.push(ReviewReasons.soonAfterDeposit);
  return reasons;
}
