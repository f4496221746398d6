// Proves the strict edge parser and the exact formatter for amounts: a table of valid inputs and of
// every refusal reason for assets with 0, 2, 6 and 18 decimals, plus property tests (fast-check)
// that parse(format(x)) === x over the whole numeric(38,0) range, that formatting never uses an
// exponent, that parsing never throws on arbitrary text, and that Money arithmetic is exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineAsset, type Asset } from './asset';
import { DomainError, DomainErrorCodes, MoneyParseError, type MoneyParseErrorCode } from './errors';
import { AMOUNT_MINOR_MAX, AMOUNT_TEXT_LENGTH_MAX, formatAmount, Money, parseAmount, type ParseAmountOptions } from './money';

const units0 = defineAsset('PTS', 0);
const cents2 = defineAsset('EUR', 2);
const usdt6 = defineAsset('USDT', 6);
const dai18 = defineAsset('DAI', 18);

// ---------------------------------------------------------------------------------------------
// parseAmount: table-driven
// ---------------------------------------------------------------------------------------------

// Mutable tuples, so `it.each` types each callback argument from its position.
type Accepted = [text: string, asset: Asset, amountMinor: bigint, options?: ParseAmountOptions];
const accepted: readonly Accepted[] = [
  ['12', units0, 12n],
  ['1', units0, 1n],
  ['99999999999999999999999999999999999999', units0, AMOUNT_MINOR_MAX],
  ['0', units0, 0n, { allowZero: true }],
  ['-3', units0, -3n, { allowNegative: true }],
  ['12', cents2, 1200n],
  ['12.5', cents2, 1250n],
  ['12.05', cents2, 1205n],
  ['0.01', cents2, 1n],
  ['0.10', cents2, 10n],
  ['0.00', cents2, 0n, { allowZero: true }],
  ['-0.5', cents2, -50n, { allowNegative: true }],
  ['999999999999999999999999999999999999.99', cents2, AMOUNT_MINOR_MAX],
  ['12', usdt6, 12_000_000n],
  ['12.5', usdt6, 12_500_000n],
  ['1.234500', usdt6, 1_234_500n],
  ['0.000001', usdt6, 1n],
  ['0', usdt6, 0n, { allowZero: true }],
  ['-1.5', usdt6, -1_500_000n, { allowNegative: true, allowZero: true }],
  ['1', dai18, 10n ** 18n],
  ['0.000000000000000001', dai18, 1n],
  ['123.456789012345678901', dai18, 123_456_789_012_345_678_901n],
  ['99999999999999999999.999999999999999999', dai18, AMOUNT_MINOR_MAX],
  ['-99999999999999999999.999999999999999999', dai18, -AMOUNT_MINOR_MAX, { allowNegative: true }],
];

type Refused = [text: string, asset: Asset, code: MoneyParseErrorCode, messagePart: string, options?: ParseAmountOptions];
const { amountEmpty, amountTooLong, amountNotANumber, amountTooManyDecimals, amountNegative, amountZero, amountTooLarge } =
  DomainErrorCodes;
const refused: readonly Refused[] = [
  // empty and over-long
  ['', usdt6, amountEmpty, 'empty'],
  ['1'.repeat(AMOUNT_TEXT_LENGTH_MAX + 1), usdt6, amountTooLong, `longer than ${AMOUNT_TEXT_LENGTH_MAX}`],
  // whitespace inside or around is refused, not trimmed
  [' 12', usdt6, amountNotANumber, 'whitespace'],
  ['12 ', usdt6, amountNotANumber, 'whitespace'],
  ['\t12', cents2, amountNotANumber, 'whitespace'],
  ['12\n', units0, amountNotANumber, 'whitespace'],
  ['1 000', usdt6, amountNotANumber, 'whitespace'],
  ['1\u00a0000', usdt6, amountNotANumber, 'whitespace'],
  ['   ', usdt6, amountNotANumber, 'whitespace'],
  // signs
  ['+1', usdt6, amountNotANumber, '"+" sign'],
  ['+1', usdt6, amountNotANumber, '"+" sign', { allowNegative: true }],
  ['-1', usdt6, amountNegative, 'negative'],
  ['-1', units0, amountNegative, 'negative'],
  ['-0.01', cents2, amountNegative, 'negative'],
  ['-0', usdt6, amountNegative, 'negative', { allowZero: true }],
  ['-0', usdt6, amountNotANumber, 'zero with a sign', { allowZero: true, allowNegative: true }],
  ['-0.000', usdt6, amountNotANumber, 'zero with a sign', { allowZero: true, allowNegative: true }],
  ['--1', usdt6, amountNotANumber, 'not a decimal number', { allowNegative: true }],
  ['-', usdt6, amountNotANumber, 'not a decimal number', { allowNegative: true }],
  ['1-', usdt6, amountNotANumber, 'not a decimal number'],
  // exponents, base prefixes, separators
  ['1e3', usdt6, amountNotANumber, 'exponent'],
  ['1E-2', usdt6, amountNotANumber, 'exponent'],
  ['1.5e1', dai18, amountNotANumber, 'exponent'],
  ['0x10', usdt6, amountNotANumber, 'base prefix'],
  ['0b1', units0, amountNotANumber, 'base prefix'],
  ['0o7', units0, amountNotANumber, 'base prefix'],
  ['1,5', cents2, amountNotANumber, '","'],
  ['1,000.00', cents2, amountNotANumber, '","'],
  ['1_000', units0, amountNotANumber, 'digit separators'],
  ["1'000", units0, amountNotANumber, 'digit separators'],
  // decimal point placement
  ['.5', usdt6, amountNotANumber, 'no digit before the decimal point'],
  ['-.5', usdt6, amountNotANumber, 'no digit before the decimal point', { allowNegative: true }],
  ['5.', usdt6, amountNotANumber, 'no digit after the decimal point'],
  ['.', usdt6, amountNotANumber, 'no digit before the decimal point'],
  ['1.2.3', usdt6, amountNotANumber, 'more than one decimal point'],
  // leading zeros are refused: one spelling per value
  ['007', units0, amountNotANumber, 'leading zeros'],
  ['00.5', usdt6, amountNotANumber, 'leading zeros'],
  ['-01', usdt6, amountNotANumber, 'leading zeros', { allowNegative: true }],
  // non-ASCII digits and other characters
  ['١٢', usdt6, amountNotANumber, 'digits other than 0-9'],
  ['１２', usdt6, amountNotANumber, 'digits other than 0-9'],
  ['12৩', usdt6, amountNotANumber, 'digits other than 0-9'],
  ['12$', usdt6, amountNotANumber, 'characters other than digits'],
  ['abc', usdt6, amountNotANumber, 'characters other than digits'],
  ['NaN', usdt6, amountNotANumber, 'characters other than digits'],
  ['Infinity', usdt6, amountNotANumber, 'characters other than digits'],
  ['12 USDT', usdt6, amountNotANumber, 'whitespace'],
  // too many decimals, per asset
  ['1.0', units0, amountTooManyDecimals, 'whole units'],
  ['1.5', units0, amountTooManyDecimals, 'whole units'],
  ['0.001', cents2, amountTooManyDecimals, '3 decimal places; EUR has at most 2'],
  ['1.500', cents2, amountTooManyDecimals, 'at most 2'],
  ['0.0000001', usdt6, amountTooManyDecimals, '7 decimal places; USDT has at most 6'],
  ['1.0000000000000000001', dai18, amountTooManyDecimals, '19 decimal places; DAI has at most 18'],
  // zero
  ['0', usdt6, amountZero, 'zero'],
  ['0.000000', usdt6, amountZero, 'zero'],
  ['0', units0, amountZero, 'zero', { allowNegative: true }],
  // above AMOUNT_MINOR_MAX
  ['100000000000000000000000000000000000000', units0, amountTooLarge, 'larger than the largest amount'],
  ['1000000000000000000000000000000000000', cents2, amountTooLarge, 'larger than the largest amount'],
  ['100000000000000000000', dai18, amountTooLarge, 'larger than the largest amount'],
  ['-100000000000000000000', dai18, amountTooLarge, 'larger than the largest amount', { allowNegative: true }],
];

describe('parseAmount', () => {
  it.each(accepted)('accepts %j for %o', (text, asset, amountMinor, options) => {
    expect(parseAmount(text, asset, options)).toEqual({ ok: true, amountMinor });
  });

  it.each(refused)('refuses %j for %o with %s', (text, asset, code, messagePart, options) => {
    const result = parseAmount(text, asset, options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(MoneyParseError);
    expect(result.error).toBeInstanceOf(DomainError);
    expect(result.error.name).toBe('MoneyParseError');
    expect(result.error.code).toBe(code);
    expect(result.error.message).toContain(messagePart);
  });

  it('covers every refusal code in the table', () => {
    const codes = new Set(refused.map(([, , code]) => code));
    expect([...codes].sort()).toEqual(
      [amountEmpty, amountTooLong, amountNotANumber, amountTooManyDecimals, amountNegative, amountZero, amountTooLarge].sort(),
    );
  });

  it('refuses non-string input as a value instead of throwing', () => {
    const result = parseAmount(12 as unknown as string, usdt6);
    expect(result.ok === false && result.error.code).toBe(amountNotANumber);
  });

  it('throws for an asset with unusable decimals (a broken invariant, not a user mistake)', () => {
    expect(() => parseAmount('1', { code: 'USDT', decimals: 1.5 })).toThrow(DomainError);
  });
});

// ---------------------------------------------------------------------------------------------
// formatAmount
// ---------------------------------------------------------------------------------------------

describe('formatAmount', () => {
  it.each([
    [1_234_500n, usdt6, false, '1.234500'],
    [1_234_500n, usdt6, true, '1.2345'],
    [-500_000n, usdt6, true, '-0.5'],
    [-500_000n, usdt6, false, '-0.500000'],
    [0n, usdt6, false, '0.000000'],
    [0n, usdt6, true, '0'],
    [1n, usdt6, true, '0.000001'],
    [12_000_000n, usdt6, true, '12'],
    [1205n, cents2, false, '12.05'],
    [-7n, units0, false, '-7'],
    [AMOUNT_MINOR_MAX, dai18, false, '99999999999999999999.999999999999999999'],
    [10n ** 18n, dai18, true, '1'],
  ] as const)('formats %s of %o (trimZeros %s) as %j', (amountMinor, asset, trimZeros, expected) => {
    expect(formatAmount(amountMinor, asset, { trimZeros })).toBe(expected);
  });

  it('defaults to the full scale of the asset', () => {
    expect(formatAmount(1_500_000n, usdt6)).toBe('1.500000');
  });

  it('refuses a Number where a bigint belongs', () => {
    expect(() => formatAmount(1.5 as unknown as bigint, usdt6)).toThrow(
      expect.objectContaining({ code: DomainErrorCodes.amountNotBigint }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const assetArbitrary = fc.integer({ min: 0, max: 18 }).map((decimals) => defineAsset('TST', decimals));
const amountArbitrary = fc.bigInt({ min: -AMOUNT_MINOR_MAX, max: AMOUNT_MINOR_MAX });
const lenient = { allowZero: true, allowNegative: true } as const;

describe('money properties', () => {
  it('parseAmount(formatAmount(x)) === x for every amount and decimals 0..18, trimmed or not', () => {
    fc.assert(
      fc.property(amountArbitrary, assetArbitrary, fc.boolean(), (amountMinor, asset, trimZeros) => {
        const text = formatAmount(amountMinor, asset, { trimZeros });
        expect(parseAmount(text, asset, lenient)).toEqual({ ok: true, amountMinor });
      }),
      { numRuns: 2000 },
    );
  });

  it('formatAmount only ever produces plain decimal digits (no exponent, no grouping)', () => {
    fc.assert(
      fc.property(amountArbitrary, assetArbitrary, fc.boolean(), (amountMinor, asset, trimZeros) => {
        const text = formatAmount(amountMinor, asset, { trimZeros });
        expect(text).toMatch(/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/);
        expect(text).not.toMatch(/[eE]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('formatting with full scale is canonical: format(parse(text)) === text', () => {
    fc.assert(
      fc.property(amountArbitrary, assetArbitrary, (amountMinor, asset) => {
        const text = formatAmount(amountMinor, asset);
        const parsed = parseAmount(text, asset, lenient);
        expect(parsed.ok && formatAmount(parsed.amountMinor, asset)).toBe(text);
      }),
    );
  });

  it('parseAmount never throws on arbitrary text, and what it accepts has the strict shape', () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...'0123456789.-+eE, '), maxLength: 40 }),
    );
    fc.assert(
      fc.property(text, assetArbitrary, (candidate, asset) => {
        const result = parseAmount(candidate, asset, lenient);
        if (result.ok) {
          expect(candidate).toMatch(/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/);
          expect(result.amountMinor <= AMOUNT_MINOR_MAX && result.amountMinor >= -AMOUNT_MINOR_MAX).toBe(true);
        } else {
          expect(result.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  // A third of the range keeps every intermediate sum inside ±AMOUNT_MINOR_MAX.
  const third = AMOUNT_MINOR_MAX / 3n;
  const boundedMoney = (asset: Asset) => fc.bigInt({ min: -third, max: third }).map((amount) => Money.of(amount, asset));

  it('addition is commutative and associative', () => {
    fc.assert(
      fc.property(boundedMoney(usdt6), boundedMoney(usdt6), boundedMoney(usdt6), (a, b, c) => {
        expect(a.add(b).equals(b.add(a))).toBe(true);
        expect(a.add(b).add(c).equals(a.add(b.add(c)))).toBe(true);
      }),
    );
  });

  it('subtraction undoes addition, negation is its own inverse, zero is neutral', () => {
    fc.assert(
      fc.property(boundedMoney(dai18), boundedMoney(dai18), (a, b) => {
        expect(a.add(b).subtract(b).equals(a)).toBe(true);
        expect(a.subtract(b).equals(a.add(b.negate()))).toBe(true);
        expect(a.negate().negate().equals(a)).toBe(true);
        expect(a.add(Money.zero(dai18)).equals(a)).toBe(true);
        expect(a.subtract(a).isZero()).toBe(true);
      }),
    );
  });

  it('compare agrees with bigint order', () => {
    fc.assert(
      fc.property(boundedMoney(cents2), boundedMoney(cents2), (a, b) => {
        const expected = a.amountMinor < b.amountMinor ? -1 : a.amountMinor > b.amountMinor ? 1 : 0;
        expect(a.compare(b)).toBe(expected);
        expect(b.compare(a)).toBe(-expected || 0);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------------

describe('Money', () => {
  const usdc6 = defineAsset('USDC', 6);

  it('adds, subtracts, negates and answers questions about its sign', () => {
    const total = Money.of(25_000_000n, usdt6).add(Money.of(1_000_000n, usdt6));
    expect(total.amountMinor).toBe(26_000_000n);
    expect(total.subtract(Money.of(30_000_000n, usdt6)).isNegative()).toBe(true);
    expect(total.negate().amountMinor).toBe(-26_000_000n);
    expect(total.isPositive()).toBe(true);
    expect(Money.zero(usdt6).isZero()).toBe(true);
  });

  it('formats itself and serialises minor units as a string', () => {
    const money = Money.of(1_500_000n, usdt6);
    expect(money.toString()).toBe('1.500000');
    expect(`${money}`).toBe('1.500000');
    expect(money.format({ trimZeros: true })).toBe('1.5');
    expect(money.toJSON()).toEqual({ asset: 'USDT', amountMinor: '1500000' });
    expect(JSON.stringify({ fee: Money.of(-1n, dai18) })).toBe('{"fee":{"asset":"DAI","amountMinor":"-1"}}');
  });

  it('wraps parseAmount', () => {
    const parsed = Money.parse('2.5', usdt6);
    expect(parsed.ok && parsed.money.equals(Money.of(2_500_000n, usdt6))).toBe(true);
    const refusal = Money.parse('2.5e1', usdt6);
    expect(refusal.ok === false && refusal.error.code).toBe(DomainErrorCodes.amountNotANumber);
  });

  it('throws when assets are mixed', () => {
    const a = Money.of(1n, usdt6);
    const b = Money.of(1n, usdc6);
    const mismatch = expect.objectContaining({ code: DomainErrorCodes.assetMismatch });
    expect(() => a.add(b)).toThrow(mismatch);
    expect(() => a.subtract(b)).toThrow(mismatch);
    expect(() => a.compare(b)).toThrow(mismatch);
    expect(() => a.add(b)).toThrow(/cannot add USDC and USDT/);
  });

  it('treats different assets as unequal, but the same code with other decimals as a broken invariant', () => {
    expect(Money.of(1n, usdt6).equals(Money.of(1n, usdc6))).toBe(false);
    const usdt18 = { code: 'USDT', decimals: 18 };
    expect(() => Money.of(1n, usdt6).equals(Money.of(1n, usdt18))).toThrow(
      expect.objectContaining({ code: DomainErrorCodes.assetMismatch }),
    );
  });

  it('refuses Number amounts and amounts outside numeric(38,0)', () => {
    expect(() => Money.of(1 as unknown as bigint, usdt6)).toThrow(expect.objectContaining({ code: DomainErrorCodes.amountNotBigint }));
    expect(() => Money.of(AMOUNT_MINOR_MAX + 1n, usdt6)).toThrow(expect.objectContaining({ code: DomainErrorCodes.amountOutOfRange }));
    expect(() => Money.of(-AMOUNT_MINOR_MAX - 1n, usdt6)).toThrow(expect.objectContaining({ code: DomainErrorCodes.amountOutOfRange }));
    const max = Money.of(AMOUNT_MINOR_MAX, usdt6);
    expect(() => max.add(Money.of(1n, usdt6))).toThrow(expect.objectContaining({ code: DomainErrorCodes.amountOutOfRange }));
  });

  it('is immutable', () => {
    const money = Money.of(1n, usdt6);
    expect(Object.isFrozen(money)).toBe(true);
    expect(() => {
      (money as unknown as { amountMinor: bigint }).amountMinor = 2n;
    }).toThrow(TypeError);
  });
});
