// Proves the hot wallet key module: a plain hex key and the same key encrypted with AES-256-GCM
// give the same signer; a wrong encryption key, an altered ciphertext, IV or tag, a missing
// encryption key and malformed input are each a clear ChainWithdrawalError with a stable code; and
// neither the key nor the encryption key appears in any error message or in the serialised wallet.
import { randomBytes } from 'node:crypto';
import { Transaction, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { encryptHotWalletKey, isEncryptedHotWalletKey, loadHotWallet } from './hot-wallet.key';
import { ChainWithdrawalError, ChainWithdrawalErrorCodes } from './errors';

const privateKey = Wallet.createRandom().privateKey;
const encryptionKey = randomBytes(32).toString('hex');

function failure(run: () => unknown): ChainWithdrawalError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ChainWithdrawalError);
    const message = (error as Error).message;
    // Neither secret may leak, in any spelling.
    for (const secret of [privateKey, privateKey.slice(2), encryptionKey]) expect(message.toLowerCase()).not.toContain(secret.toLowerCase());
    return error as ChainWithdrawalError;
  }
  throw new Error('expected a ChainWithdrawalError');
}

/** Flips one character of part `index` (1 iv, 2 ciphertext, 3 tag) of an encrypted key. */
function alter(encrypted: string, index: number): string {
  const parts = encrypted.split('.');
  const part = parts[index]!;
  const swapped = part[0] === 'A' ? 'B' : 'A';
  parts[index] = swapped + part.slice(1);
  return parts.join('.');
}

describe('loadHotWallet', () => {
  it('signs with the address of a plain hex key, with or without 0x', async () => {
    const expected = new Wallet(privateKey).address;
    for (const key of [privateKey, privateKey.slice(2), `${privateKey.toUpperCase().replace('0X', '0x')}\n`]) {
      expect(loadHotWallet({ key }).address).toBe(expected);
    }
    const raw = await loadHotWallet({ key: privateKey }).signTransaction({
      type: 2, chainId: 31337, nonce: 7, to: Wallet.createRandom().address, data: '0x', value: 0n, gasLimit: 21_000n, maxFeePerGas: 2n, maxPriorityFeePerGas: 1n,
    });
    expect(Transaction.from(raw).from).toBe(expected);
    expect(Transaction.from(raw).nonce).toBe(7);
  });

  it('decrypts an AES-256-GCM encrypted key to the same signer; each encryption differs', () => {
    const encrypted = encryptHotWalletKey(privateKey, encryptionKey);
    expect(isEncryptedHotWalletKey(encrypted)).toBe(true);
    expect(encrypted).not.toContain(privateKey.slice(2));
    expect(encryptHotWalletKey(privateKey, encryptionKey)).not.toBe(encrypted);
    expect(loadHotWallet({ key: encrypted, encryptionKey }).address).toBe(new Wallet(privateKey).address);
  });

  it.each([
    ['a wrong encryption key', () => loadHotWallet({ key: encryptHotWalletKey(privateKey, encryptionKey), encryptionKey: randomBytes(32).toString('hex') }), ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable],
    ['an altered IV', () => loadHotWallet({ key: alter(encryptHotWalletKey(privateKey, encryptionKey), 1), encryptionKey }), ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable],
    ['an altered ciphertext', () => loadHotWallet({ key: alter(encryptHotWalletKey(privateKey, encryptionKey), 2), encryptionKey }), ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable],
    ['an altered tag', () => loadHotWallet({ key: alter(encryptHotWalletKey(privateKey, encryptionKey), 3), encryptionKey }), ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable],
    ['a truncated encrypted key', () => loadHotWallet({ key: encryptHotWalletKey(privateKey, encryptionKey).split('.').slice(0, 3).join('.'), encryptionKey }), ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable],
    ['an encrypted key without its encryption key', () => loadHotWallet({ key: encryptHotWalletKey(privateKey, encryptionKey) }), ChainWithdrawalErrorCodes.hotWalletEncryptionKeyMissing],
    ['a malformed encryption key', () => loadHotWallet({ key: encryptHotWalletKey(privateKey, encryptionKey), encryptionKey: 'abc' }), ChainWithdrawalErrorCodes.hotWalletEncryptionKeyMissing],
    ['a short hex key', () => loadHotWallet({ key: privateKey.slice(0, 40) }), ChainWithdrawalErrorCodes.hotWalletKeyInvalid],
    ['a key with a non-hex digit', () => loadHotWallet({ key: `${privateKey.slice(0, -1)}g` }), ChainWithdrawalErrorCodes.hotWalletKeyInvalid],
    ['zero, which is no secp256k1 key', () => loadHotWallet({ key: `0x${'0'.repeat(64)}` }), ChainWithdrawalErrorCodes.hotWalletKeyInvalid],
  ])('refuses %s with a clear error that quotes no secret', (_name, run, code) => {
    expect(failure(run).code).toBe(code);
  });

  it('serialises to its address only', () => {
    const wallet = loadHotWallet({ key: privateKey });
    const text = JSON.stringify({ wallet });
    expect(text).toBe(JSON.stringify({ wallet: { address: wallet.address } }));
    expect(Object.keys(wallet).sort()).toEqual(['address', 'signTransaction', 'toJSON']);
  });
});
