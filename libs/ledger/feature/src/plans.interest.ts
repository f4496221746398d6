// ---------------------------------------------------------------------------------------------
// Interest of plan deposits, in integer minor units, and the UTC calendar days it is counted in.
// Pure: no clock, no I/O.
//
// Rounding: the interest credited through day n is floor(P · r · n / (10,000 · 365)), P the principal
// in minor units, r the annual rate in basis points. Day n's amount is the difference between the
// totals through day n and through day n − 1. So the fraction a single day would lose to flooring is
// carried into the next days instead of being dropped: every day's amount is floor(P·r/3,650,000)
// or one more, and the whole term pays floor(P · r · term / 3,650,000) — less than one minor unit
// below the exact interest, whatever the term. A year is 365 days, leap years included.
// ---------------------------------------------------------------------------------------------

const BASIS_POINTS_PER_UNIT = 10_000n;
const DAYS_PER_YEAR = 365n;
const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function checkTerms(principal: bigint, rateBps: number): void {
  if (typeof principal !== 'bigint' || principal <= 0n) throw new RangeError(`principal must be a positive bigint, got ${String(principal)}`);
  if (!Number.isSafeInteger(rateBps) || rateBps < 0) throw new RangeError(`rateBps must be a non-negative integer, got ${rateBps}`);
}

/**
 * Interest credited from day 1 through day `days` of a deposit: floor(P · r · days / 3,650,000).
 *
 * @example
 * interestThroughDay(1_000_000_000n, 450, 365); // 45_000_000n: 4.5 % of 1,000 USDT (6 decimals) over a year
 */
export function interestThroughDay(principal: bigint, rateBps: number, days: number): bigint {
  checkTerms(principal, rateBps);
  if (!Number.isSafeInteger(days) || days < 0) throw new RangeError(`days must be a non-negative integer, got ${days}`);
  return (principal * BigInt(rateBps) * BigInt(days)) / (BASIS_POINTS_PER_UNIT * DAYS_PER_YEAR);
}

/**
 * Interest of day `dayNumber` (1 = the opening day) of a deposit; see the rounding rule above.
 *
 * @example
 * interestForDay(1_000_000_000n, 450, 1); // 123_287n (0.123287 USDT; the 0.0000003 left over moves to later days)
 */
export function interestForDay(principal: bigint, rateBps: number, dayNumber: number): bigint {
  if (!Number.isSafeInteger(dayNumber) || dayNumber < 1) throw new RangeError(`dayNumber must be a positive integer, got ${dayNumber}`);
  return interestThroughDay(principal, rateBps, dayNumber) - interestThroughDay(principal, rateBps, dayNumber - 1);
}

/** The UTC calendar day of `at`, as `YYYY-MM-DD`. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function dayStartMs(day: string): number {
  const ms = DAY_PATTERN.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || utcDay(new Date(ms)) !== day) throw new RangeError(`not a calendar day YYYY-MM-DD: ${JSON.stringify(day)}`);
  return ms;
}

/** `day` moved by `days` calendar days (negative goes back). */
export function addDays(day: string, days: number): string {
  return utcDay(new Date(dayStartMs(day) + days * DAY_MS));
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayStartMs(to) - dayStartMs(from)) / DAY_MS);
}

/** When a deposit opened at `openedAt` with a term of `termDays` matures: exactly termDays × 24 h later. */
export function maturityOf(openedAt: Date, termDays: number): Date {
  return new Date(openedAt.getTime() + termDays * DAY_MS);
}
