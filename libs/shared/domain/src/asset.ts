import { DomainError, DomainErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// Assets: a code and the number of decimals its minor unit has (USDT on most EVM chains: 6).
// ---------------------------------------------------------------------------------------------

/** An asset the wallet holds, e.g. `{ code: 'USDT', decimals: 6 }`. */
export interface Asset {
  /** Upper-case letters and digits, 2 to 12 characters: `USDT`. */
  readonly code: string;
  /** Decimal places of one minor unit: 1 USDT = 10^6 minor units. */
  readonly decimals: number;
}

/** Most decimals an asset may have; 18 covers every ERC-20 in practice, 36 leaves headroom. */
export const ASSET_DECIMALS_MAX = 36;

/** Asset codes: upper-case letter first, then upper-case letters or digits; same rule as the contracts. */
export const ASSET_CODE_PATTERN = /^[A-Z][A-Z0-9]{1,11}$/;

/** Returns the problem with `decimals`, or null when it is an integer in 0..ASSET_DECIMALS_MAX. */
function decimalsProblem(decimals: unknown): string | null {
  if (typeof decimals !== 'number' || !Number.isInteger(decimals) || decimals < 0 || decimals > ASSET_DECIMALS_MAX) {
    return `decimals must be an integer from 0 to ${ASSET_DECIMALS_MAX}, got ${String(decimals)}`;
  }
  return null;
}

/**
 * Declares an asset, checking its code and decimals; throws DomainError (DOMAIN_ERR_INVALID_ASSET)
 * when either is unusable, because assets are declared once at start-up.
 *
 * @example
 * export const USDT = defineAsset('USDT', 6);
 */
export function defineAsset(code: string, decimals: number): Asset {
  const problems: string[] = [];
  if (typeof code !== 'string' || !ASSET_CODE_PATTERN.test(code)) {
    problems.push(`code must match ${ASSET_CODE_PATTERN.source}, got ${JSON.stringify(code)}`);
  }
  const decimalsIssue = decimalsProblem(decimals);
  if (decimalsIssue !== null) problems.push(decimalsIssue);
  if (problems.length > 0) {
    throw new DomainError(DomainErrorCodes.invalidAsset, `invalid asset: ${problems.join('; ')}`);
  }
  return Object.freeze({ code, decimals });
}

/**
 * Throws DomainError (DOMAIN_ERR_INVALID_ASSET) unless `asset.decimals` is usable. Money code calls
 * it because an Asset can also be a plain object that never went through defineAsset.
 */
export function assertAsset(asset: Asset): void {
  const decimalsIssue = decimalsProblem(asset.decimals);
  if (decimalsIssue !== null) {
    throw new DomainError(DomainErrorCodes.invalidAsset, `invalid asset ${String(asset.code)}: ${decimalsIssue}`);
  }
}

/**
 * True when both describe the same asset. The same code with different decimals is a broken
 * invariant (two definitions disagree about what a minor unit is), so it throws.
 */
export function sameAsset(a: Asset, b: Asset): boolean {
  if (a.code !== b.code) return false;
  if (a.decimals !== b.decimals) {
    throw new DomainError(
      DomainErrorCodes.assetMismatch,
      `asset ${a.code} is defined with both ${a.decimals} and ${b.decimals} decimals`,
    );
  }
  return true;
}
