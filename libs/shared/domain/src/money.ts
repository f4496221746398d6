import { assertAsset, sameAsset, type Asset } from './asset';
import { DomainError, DomainErrorCodes, MoneyParseError, type MoneyParseErrorCode } from './errors';

// ---------------------------------------------------------------------------------------------
// Money: amounts are bigint counts of an asset's minor unit (1 USDT = 1_000_000 minor units at 6
// decimals). Decimal strings exist only at the edges (bot text, HTTP, events) and are parsed
// strictly here; floating point never touches an amount.
// ---------------------------------------------------------------------------------------------

/** Largest magnitude of an amount in minor units: 10^38 - 1, what PostgreSQL `numeric(38,0)` holds. */
export const AMOUNT_MINOR_MAX = 10n ** 38n - 1n;

/**
 * Longest amount text parseAmount looks at. A sign, 38 digits, a point and 36 decimals make 76
 * characters, so anything longer cannot be a valid amount and is refused before any work.
 */
export const AMOUNT_TEXT_LENGTH_MAX = 100;

/** The only accepted shape: optional `-`, no leading zeros, optional `.` followed by digits. */
const STRICT_DECIMAL_PATTERN = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

export interface ParseAmountOptions {
  /** Accept `0` (and `0.00`). Default false: an amount to move must be positive. */
  readonly allowZero?: boolean;
  /** Accept a leading `-`. Default false. */
  readonly allowNegative?: boolean;
}

export type ParseAmountResult = { ok: true; amountMinor: bigint } | { ok: false; error: MoneyParseError };

export interface FormatAmountOptions {
  /** Drop trailing zeros of the fraction (and the point when nothing is left). Default false. */
  readonly trimZeros?: boolean;
}

function refuse(code: MoneyParseErrorCode, message: string): ParseAmountResult {
  return { ok: false, error: new MoneyParseError(code, message) };
}

/** Names what is wrong with text that does not have the strict decimal shape, in words for people. */
function describeSyntaxProblem(text: string): string {
  if (/(?![0-9])\p{Nd}/u.test(text)) return 'uses digits other than 0-9';
  if (/\s/u.test(text)) return 'contains whitespace; write the number alone, without spaces';
  if (text.startsWith('+')) return 'has a "+" sign; write the number without a sign';
  if (/^-?0[xob]/i.test(text)) return 'has a base prefix (0x, 0o, 0b); only decimal numbers are accepted';
  if (/[eE]/.test(text) && /[0-9]/.test(text)) return 'uses exponent notation; write all digits out';
  if (text.includes(',')) return 'contains ","; the decimal separator is "." and digits are not grouped';
  if (/[_']/.test(text)) return 'contains digit separators; write the digits without them';
  if ((text.match(/\./g) ?? []).length > 1) return 'has more than one decimal point';
  if (/^-?\./.test(text)) return 'has no digit before the decimal point; write "0.5", not ".5"';
  if (text.endsWith('.')) return 'has no digit after the decimal point; write "5", not "5."';
  if (/^-?0[0-9]/.test(text)) return 'has leading zeros; write "7", not "007"';
  if (/[^0-9.-]/.test(text)) return 'contains characters other than digits, "." and "-"';
  return 'is not a decimal number';
}

/**
 * Parses a decimal amount typed or received at an edge into minor units of `asset`, strictly:
 * ASCII digits, at most one `.` with digits on both sides, no exponent, no `+`, no grouping,
 * no leading zeros (`0.5` yes, `007` no), no surrounding whitespace (callers that want to be
 * lenient with user input trim it themselves, so what is validated is exactly what is stored),
 * no more decimals than the asset has (`1.50` for a 6-decimal asset yes, `1.0` for a 0-decimal
 * asset no), magnitude at most AMOUNT_MINOR_MAX. Zero and negative amounts only when allowed;
 * `-0` is never accepted. Refusals are returned, never thrown, each with a stable code.
 *
 * @example
 * const parsed = parseAmount('12.5', USDT);   // { ok: true, amountMinor: 12_500_000n }
 * const bad = parseAmount('1e3', USDT);       // { ok: false, error: { code: 'DOMAIN_ERR_AMOUNT_NOT_A_NUMBER', … } }
 */
export function parseAmount(text: string, asset: Asset, options: ParseAmountOptions = {}): ParseAmountResult {
  assertAsset(asset);
  if (typeof text !== 'string') {
    return refuse(DomainErrorCodes.amountNotANumber, `amount must be text, got ${typeof text}`);
  }
  if (text.length === 0) return refuse(DomainErrorCodes.amountEmpty, 'amount is empty');
  if (text.length > AMOUNT_TEXT_LENGTH_MAX) {
    return refuse(DomainErrorCodes.amountTooLong, `amount is longer than ${AMOUNT_TEXT_LENGTH_MAX} characters`);
  }
  const quoted = JSON.stringify(text);
  const match = STRICT_DECIMAL_PATTERN.exec(text);
  if (match === null) {
    return refuse(DomainErrorCodes.amountNotANumber, `amount ${quoted} ${describeSyntaxProblem(text)}`);
  }
  const negative = match[1] === '-';
  const whole = match[2] ?? '';
  const fraction = match[3] ?? '';
  if (negative && options.allowNegative !== true) {
    return refuse(DomainErrorCodes.amountNegative, `amount ${quoted} is negative; only positive amounts are accepted`);
  }
  if (fraction.length > asset.decimals) {
    return refuse(
      DomainErrorCodes.amountTooManyDecimals,
      asset.decimals === 0
        ? `amount ${quoted} has decimals; ${asset.code} is counted in whole units`
        : `amount ${quoted} has ${fraction.length} decimal places; ${asset.code} has at most ${asset.decimals}`,
    );
  }
  // The text is at most AMOUNT_TEXT_LENGTH_MAX characters, so this BigInt is small and cheap.
  const magnitude = BigInt(whole + fraction.padEnd(asset.decimals, '0'));
  if (magnitude > AMOUNT_MINOR_MAX) {
    return refuse(
      DomainErrorCodes.amountTooLarge,
      `amount ${quoted} is larger than the largest amount, ${formatAmount(AMOUNT_MINOR_MAX, asset, { trimZeros: true })} ${asset.code}`,
    );
  }
  if (magnitude === 0n) {
    if (negative) return refuse(DomainErrorCodes.amountNotANumber, `amount ${quoted} is zero with a sign; write "0"`);
    if (options.allowZero !== true) {
      return refuse(DomainErrorCodes.amountZero, `amount ${quoted} is zero; the amount must be greater than zero`);
    }
  }
  return { ok: true, amountMinor: negative ? -magnitude : magnitude };
}

function assertBigint(amountMinor: unknown): asserts amountMinor is bigint {
  if (typeof amountMinor !== 'bigint') {
    // A Number here would already have lost precision somewhere; refuse it loudly.
    throw new DomainError(DomainErrorCodes.amountNotBigint, `amount in minor units must be a bigint, got ${typeof amountMinor}`);
  }
}

/**
 * Formats minor units of `asset` as an exact decimal string: plain digits, `.` as separator, `-`
 * for negative values, never an exponent and never rounding. Full scale by default.
 *
 * @example
 * formatAmount(1_234_500n, USDT);                       // '1.234500'
 * formatAmount(1_234_500n, USDT, { trimZeros: true });  // '1.2345'
 * formatAmount(-500_000n, USDT, { trimZeros: true });   // '-0.5'
 */
export function formatAmount(amountMinor: bigint, asset: Asset, options: FormatAmountOptions = {}): string {
  assertBigint(amountMinor);
  assertAsset(asset);
  const sign = amountMinor < 0n ? '-' : '';
  // bigint#toString never uses exponent notation, unlike number#toString.
  const digits = (amountMinor < 0n ? -amountMinor : amountMinor).toString();
  if (asset.decimals === 0) return sign + digits;
  const padded = digits.padStart(asset.decimals + 1, '0');
  const whole = padded.slice(0, -asset.decimals);
  let fraction = padded.slice(-asset.decimals);
  if (options.trimZeros === true) fraction = fraction.replace(/0+$/, '');
  return fraction.length > 0 ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

// ---------------------------------------------------------------------------------------------
// Money value object
// ---------------------------------------------------------------------------------------------

/** How Money travels in JSON: the asset code and the minor units as a decimal string. */
export interface MoneyJson {
  readonly asset: string;
  readonly amountMinor: string;
}

function assertInRange(amountMinor: bigint, asset: Asset): void {
  if (amountMinor > AMOUNT_MINOR_MAX || amountMinor < -AMOUNT_MINOR_MAX) {
    throw new DomainError(
      DomainErrorCodes.amountOutOfRange,
      `amount of ${asset.code} is outside ±${AMOUNT_MINOR_MAX} minor units (numeric(38,0))`,
    );
  }
}

/**
 * An immutable amount of one asset. Arithmetic is exact bigint arithmetic; combining two assets,
 * or leaving ±AMOUNT_MINOR_MAX, is a broken invariant and throws DomainError.
 *
 * @example
 * const fee = Money.of(1_000_000n, USDT);
 * const total = Money.of(25_000_000n, USDT).add(fee);   // 26 USDT
 * total.toString();                                      // '26.000000'
 */
export class Money {
  private constructor(
    /** Count of the asset's minor unit; negative for debits and system accounts. */
    readonly amountMinor: bigint,
    readonly asset: Asset,
  ) {
    Object.freeze(this);
  }

  /** Money of `amountMinor` minor units of `asset`; throws when it is not a bigint or out of range. */
  static of(amountMinor: bigint, asset: Asset): Money {
    assertBigint(amountMinor);
    assertAsset(asset);
    assertInRange(amountMinor, asset);
    return new Money(amountMinor, asset);
  }

  /** Zero of `asset`. */
  static zero(asset: Asset): Money {
    return Money.of(0n, asset);
  }

  /** parseAmount, wrapped into Money on success; refusals are returned as values. */
  static parse(
    text: string,
    asset: Asset,
    options: ParseAmountOptions = {},
  ): { ok: true; money: Money } | { ok: false; error: MoneyParseError } {
    const parsed = parseAmount(text, asset, options);
    return parsed.ok ? { ok: true, money: Money.of(parsed.amountMinor, asset) } : parsed;
  }

  /** Sum of both; throws when the assets differ or the sum leaves the range. */
  add(other: Money): Money {
    this.assertSameAsset(other, 'add');
    return Money.of(this.amountMinor + other.amountMinor, this.asset);
  }

  /** This minus `other`; throws when the assets differ or the result leaves the range. */
  subtract(other: Money): Money {
    this.assertSameAsset(other, 'subtract');
    return Money.of(this.amountMinor - other.amountMinor, this.asset);
  }

  /** The same amount with the opposite sign. */
  negate(): Money {
    return Money.of(-this.amountMinor, this.asset);
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`; throws when the assets differ. */
  compare(other: Money): -1 | 0 | 1 {
    this.assertSameAsset(other, 'compare');
    if (this.amountMinor === other.amountMinor) return 0;
    return this.amountMinor < other.amountMinor ? -1 : 1;
  }

  isZero(): boolean {
    return this.amountMinor === 0n;
  }

  isNegative(): boolean {
    return this.amountMinor < 0n;
  }

  isPositive(): boolean {
    return this.amountMinor > 0n;
  }

  /** Same asset and same amount. Different assets are simply not equal; asking is not an error. */
  equals(other: Money): boolean {
    return sameAsset(this.asset, other.asset) && this.amountMinor === other.amountMinor;
  }

  /** The amount as a decimal string, see formatAmount. */
  format(options: FormatAmountOptions = {}): string {
    return formatAmount(this.amountMinor, this.asset, options);
  }

  /** The exact full-scale decimal amount without the asset code: `'1.500000'`. */
  toString(): string {
    return formatAmount(this.amountMinor, this.asset);
  }

  /** `{ asset: 'USDT', amountMinor: '1500000' }`: minor units as a string, since JSON has no bigint. */
  toJSON(): MoneyJson {
    return { asset: this.asset.code, amountMinor: this.amountMinor.toString() };
  }

  private assertSameAsset(other: Money, operation: string): void {
    if (!sameAsset(this.asset, other.asset)) {
      throw new DomainError(
        DomainErrorCodes.assetMismatch,
        `cannot ${operation} ${other.asset.code} and ${this.asset.code}: amounts of different assets do not mix`,
      );
    }
  }
}
