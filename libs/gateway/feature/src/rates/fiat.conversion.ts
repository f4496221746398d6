// Fiat value of an amount, in bigint arithmetic from decimal strings: display only, so an exact
// half-up rounding to the currency's cents is enough and no float ever appears.

/** An exchange rate as the API sends it: a plain decimal string, e.g. `92.41`. */
export const RATE_PATTERN = /^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,12})?$/;
/** Decimals every fiat value is shown with. */
export const FIAT_DECIMALS = 2;

/** `rate` as an integer and its scale: `92.41` → { units: 9241n, scale: 2 }. Throws on a malformed rate. */
export function parseRate(rate: string): { units: bigint; scale: number } {
  if (!RATE_PATTERN.test(rate)) throw new RangeError(`not a rate: ${JSON.stringify(rate)}`);
  const [whole, fraction = ''] = rate.split('.') as [string, string?];
  return { units: BigInt(whole + fraction), scale: fraction.length };
}

/**
 * `amountMinor` (with `assetDecimals` decimals) times `rate`, as a decimal string with two
 * decimals, rounded half away from zero.
 *
 * @example
 * fiatAmount(12_345_678n, 6, '92.41') // '1140.86' (12.345678 × 92.41 = 1140.8640…)
 */
export function fiatAmount(amountMinor: bigint, assetDecimals: number, rate: string): string {
  const { units, scale } = parseRate(rate);
  const negative = amountMinor < 0n;
  const magnitude = negative ? -amountMinor : amountMinor;
  const divisor = 10n ** BigInt(assetDecimals + scale);
  const scaled = magnitude * units * 10n ** BigInt(FIAT_DECIMALS);
  let cents = scaled / divisor;
  if ((scaled % divisor) * 2n >= divisor) cents += 1n;
  const text = cents.toString().padStart(FIAT_DECIMALS + 1, '0');
  const formatted = `${text.slice(0, -FIAT_DECIMALS)}.${text.slice(-FIAT_DECIMALS)}`;
  return negative && cents > 0n ? `-${formatted}` : formatted;
}
