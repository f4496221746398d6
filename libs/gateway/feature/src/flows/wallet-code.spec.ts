import { describe, expect, it } from 'vitest';
import { newReferralCode } from '@strongbox/gateway-data-access';
import { referralLink } from './referral.composer';
import { parseWalletCodeInput } from './wallet-code';

describe('parseWalletCodeInput', () => {
  it('accepts a code and the referral link that carries it', () => {
    const code = newReferralCode();
    expect(parseWalletCodeInput(` ${code}\n`)).toEqual({ ok: true, value: code });
    expect(parseWalletCodeInput(referralLink('strongbox_bot', code))).toEqual({ ok: true, value: code });
    expect(parseWalletCodeInput(`t.me/strongbox_bot?start=${code}`)).toEqual({ ok: true, value: code });
  });

  it.each([
    ['', 'transfer-recipient-empty'],
    ['   ', 'transfer-recipient-empty'],
    ['abc', 'transfer-recipient-format'],
    ['abcdefghij', 'transfer-recipient-format'],
    ['abc def g', 'transfer-recipient-format'],
    ['абвгдеёжз', 'transfer-recipient-format'],
    ['-5', 'transfer-recipient-format'],
    ['x'.repeat(4_000), 'transfer-recipient-format'],
    ['https://t.me/strongbox_bot?start=abc', 'transfer-recipient-format'],
  ])('refuses %j with %s', (text, key) => {
    expect(parseWalletCodeInput(text)).toEqual({ ok: false, key });
  });
});

describe('referralLink', () => {
  it('is the deep link to the bot with the code, with or without the @', () => {
    expect(referralLink('@strongbox_bot', 'Ab3-x_9Qz')).toBe('https://t.me/strongbox_bot?start=Ab3-x_9Qz');
    expect(referralLink('strongbox_bot', 'Ab3-x_9Qz')).toBe('https://t.me/strongbox_bot?start=Ab3-x_9Qz');
  });
});
