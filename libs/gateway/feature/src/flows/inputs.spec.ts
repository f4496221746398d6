import { describe, expect, it } from 'vitest';
import { defineAsset } from '@strongbox/shared-domain';
import { parseAddressInput, parseAmountInput, parseTxHashInput } from './inputs';

const USDT = defineAsset('USDT', 6);

describe('parseAmountInput', () => {
  it.each([
    ['12.5', 12_500_000n],
    ['  7 ', 7_000_000n],
    ['0.000001', 1n],
    ['100000', 100_000_000_000n],
  ])('reads %j', (text, minor) => {
    expect(parseAmountInput(text, USDT)).toEqual({ ok: true, value: minor });
  });

  it.each([
    ['-5', 'input-amount-negative'],
    ['1e3', 'input-amount-exponent'],
    ['0.0000001', 'input-amount-decimals'],
    ['١٢', 'input-amount-digits'],
    ['1,000', 'input-amount-comma'],
    ['1 000', 'input-amount-spaces'],
    ['', 'input-amount-empty'],
    ['   ', 'input-amount-empty'],
    ['0', 'input-amount-zero'],
    ['0.00', 'input-amount-zero'],
    ['+5', 'input-amount-not-number'],
    ['five', 'input-amount-not-number'],
    ['0x10', 'input-amount-not-number'],
    ['1'.repeat(60), 'input-amount-too-large'],
    ['9'.repeat(4_000), 'input-too-long'],
  ])('refuses %j with %s', (text, key) => {
    const result = parseAmountInput(text, USDT);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.key).toBe(key);
  });

  it('names the decimals the asset allows', () => {
    expect(parseAmountInput('1.1234567', USDT)).toEqual({ ok: false, key: 'input-amount-decimals', variables: { decimals: 6, asset: 'USDT' } });
  });
});

describe('parseAddressInput', () => {
  const checksummed = '0x52908400098527886E0F7030069857D2E4169EE7';

  it('accepts a correct checksum and an address without one, returning the checksummed form', () => {
    expect(parseAddressInput(checksummed)).toEqual({ ok: true, value: checksummed });
    expect(parseAddressInput(` ${checksummed.toLowerCase()} `)).toEqual({ ok: true, value: checksummed });
    expect(parseAddressInput(`0x${checksummed.slice(2).toUpperCase()}`)).toEqual({ ok: true, value: checksummed });
  });

  it.each([
    ['', 'input-address-empty'],
    ['0x5290840009852788', 'input-address-format'],
    ['52908400098527886E0F7030069857D2E4169EE7', 'input-address-format'],
    ['0x52908400098527886E0F7030069857D2E4169EEG', 'input-address-format'],
    ['0x52908400098527886e0F7030069857D2E4169EE7', 'input-address-checksum'],
    ['0x0000000000000000000000000000000000000000', 'input-address-zero'],
    ['x'.repeat(4_000), 'input-address-format'],
  ])('refuses %j with %s', (text, key) => {
    const result = parseAddressInput(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.key).toBe(key);
  });
});

describe('parseTxHashInput', () => {
  const hash = `0x${'ab'.repeat(32)}`;

  it('accepts 32 bytes of hex in any case, as lower case', () => {
    expect(parseTxHashInput(hash.toUpperCase().replace('0X', '0x'))).toEqual({ ok: true, value: hash });
  });

  it.each([
    ['', 'input-tx-hash-empty'],
    [hash.slice(0, 40), 'input-tx-hash-format'],
    [`${hash}00`, 'input-tx-hash-format'],
    [hash.replace('a', 'g'), 'input-tx-hash-format'],
  ])('refuses %j with %s', (text, key) => {
    const result = parseTxHashInput(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.key).toBe(key);
  });
});
