// Proves deposit addresses derive from the extended public key alone: child n of the xpub equals the
// address of m/44'/60'/1'/0/n of the mnemonic behind it, an extended private key is refused (the
// watcher must hold no deposit key), and malformed keys and out-of-range indexes are refused.
import { describe, expect, it } from 'vitest';
import { HDNodeWallet } from 'ethers';
import { ANVIL_TEST_MNEMONIC, testDepositXpub } from '@strongbox/chain-testing';
import { createDepositAddressDeriver, DERIVATION_INDEX_MAX } from './deposit-address.deriver';
import { ChainErrorCodes } from './errors';

describe('deposit address deriver', () => {
  it('derives child n of the xpub, equal to the address of the full path', () => {
    const deriver = createDepositAddressDeriver(testDepositXpub());
    for (const index of [0, 1, 7, 1_000]) {
      expect(deriver.derive(index)).toBe(HDNodeWallet.fromPhrase(ANVIL_TEST_MNEMONIC, undefined, `m/44'/60'/1'/0/${index}`).address);
    }
  });

  it.each([
    { what: 'an extended private key', key: HDNodeWallet.fromPhrase(ANVIL_TEST_MNEMONIC, undefined, "m/44'/60'/1'/0").extendedKey },
    { what: 'garbage', key: 'xpub-not-a-key' },
    { what: 'an empty string', key: '' },
  ])('refuses $what', ({ key }) => {
    expect(() => createDepositAddressDeriver(key)).toThrow(expect.objectContaining({ code: ChainErrorCodes.invalidXpub }));
  });

  it.each([-1, 1.5, DERIVATION_INDEX_MAX + 1])('refuses index %s', (index) => {
    expect(() => createDepositAddressDeriver(testDepositXpub()).derive(index)).toThrow(expect.objectContaining({ code: ChainErrorCodes.limit }));
  });
});
