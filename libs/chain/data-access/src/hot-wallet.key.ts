import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Wallet, type TransactionRequest } from 'ethers';
import { ChainWithdrawalError, ChainWithdrawalErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// The hot wallet: the private key that signs withdrawals. It arrives as a secret (normally a file,
// `CHAIN_HOT_WALLET_PRIVATE_KEY_FILE`), either as plain hex or encrypted with AES-256-GCM under a
// second secret. The key stays inside a closure: the returned object has only the address and a
// signing function, so logging it (or an error about it) cannot leak the key.
// ---------------------------------------------------------------------------------------------

/** Prefix and version of an encrypted key: `sbhw1.<iv>.<ciphertext>.<tag>`, parts in base64url. */
export const ENCRYPTED_KEY_PREFIX = 'sbhw1';
/** Bound into the GCM tag, so a ciphertext made for something else does not decrypt as a key. */
const ENCRYPTED_KEY_AAD = Buffer.from('strongbox/chain-watcher/hot-wallet-key/v1', 'utf8');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENCRYPTION_KEY_BYTES = 32;
const PRIVATE_KEY_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;
const ENCRYPTION_KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

/** A signer for the hot wallet's transactions; never exposes the private key. */
export interface HotWallet {
  /** Checksummed address. */
  readonly address: string;
  /** Signs a fully populated transaction (nonce, fees, gas limit, chain id) and returns it as 0x hex. */
  signTransaction(transaction: TransactionRequest): Promise<string>;
}

/** True when `text` looks like an encrypted key (`sbhw1.…`) rather than a plain hex key. */
export function isEncryptedHotWalletKey(text: string): boolean {
  return text.startsWith(`${ENCRYPTED_KEY_PREFIX}.`);
}

/**
 * Encrypts a hex private key with a 32-byte hex encryption key (AES-256-GCM, random IV); the result
 * is what `CHAIN_HOT_WALLET_PRIVATE_KEY(_FILE)` may hold instead of the plain key.
 *
 * @example
 * const stored = encryptHotWalletKey(privateKeyHex, encryptionKeyHex); // 'sbhw1.…'
 */
export function encryptHotWalletKey(privateKeyHex: string, encryptionKeyHex: string): string {
  const plain = parsePrivateKey(privateKeyHex);
  const key = parseEncryptionKey(encryptionKeyHex);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(ENCRYPTED_KEY_AAD);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(plain.slice(2), 'hex')), cipher.final()]);
  return [ENCRYPTED_KEY_PREFIX, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/**
 * Builds the hot wallet from its configured secret. Throws ChainWithdrawalError — never quoting the
 * key — when the key is malformed, when it is encrypted and no (or a malformed) encryption key is
 * given, or when decryption fails (wrong encryption key or altered file).
 *
 * @example
 * const wallet = loadHotWallet({ key: config.CHAIN_HOT_WALLET_PRIVATE_KEY, encryptionKey: config.CHAIN_HOT_WALLET_ENCRYPTION_KEY });
 */
export function loadHotWallet(options: { key: string; encryptionKey?: string | undefined }): HotWallet {
  const text = options.key.trim();
  let privateKey: string;
  if (isEncryptedHotWalletKey(text)) {
    if (options.encryptionKey === undefined || options.encryptionKey === '') {
      throw new ChainWithdrawalError(
        ChainWithdrawalErrorCodes.hotWalletEncryptionKeyMissing,
        'the hot wallet key is encrypted; set CHAIN_HOT_WALLET_ENCRYPTION_KEY (or _FILE) to its encryption key',
      );
    }
    privateKey = decryptHotWalletKey(text, options.encryptionKey);
  } else {
    privateKey = parsePrivateKey(text);
  }
  let wallet: Wallet;
  try {
    wallet = new Wallet(privateKey);
  } catch {
    // No cause: the library's error could describe the value.
    throw new ChainWithdrawalError(ChainWithdrawalErrorCodes.hotWalletKeyInvalid, 'the hot wallet key is not a valid secp256k1 private key');
  }
  const address = wallet.address;
  return Object.freeze({
    address,
    signTransaction: (transaction: TransactionRequest) => wallet.signTransaction(transaction),
    toJSON: () => ({ address }),
  });
}

function decryptHotWalletKey(text: string, encryptionKeyHex: string): string {
  const key = parseEncryptionKey(encryptionKeyHex);
  const parts = text.split('.');
  const [, ivText, ciphertextText, tagText] = parts;
  if (parts.length !== 4 || ivText === undefined || ciphertextText === undefined || tagText === undefined) {
    throw new ChainWithdrawalError(ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable, `the encrypted hot wallet key must have the form ${ENCRYPTED_KEY_PREFIX}.<iv>.<ciphertext>.<tag>`);
  }
  const iv = Buffer.from(ivText, 'base64url');
  const ciphertext = Buffer.from(ciphertextText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES || ciphertext.length !== 32) {
    throw new ChainWithdrawalError(ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable, 'the encrypted hot wallet key is truncated or altered');
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(ENCRYPTED_KEY_AAD);
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new ChainWithdrawalError(
      ChainWithdrawalErrorCodes.hotWalletKeyUndecryptable,
      'the hot wallet key does not decrypt: wrong CHAIN_HOT_WALLET_ENCRYPTION_KEY, or the stored key was altered',
    );
  }
  const hex = `0x${plain.toString('hex')}`;
  plain.fill(0);
  return hex;
}

function parsePrivateKey(text: string): string {
  if (!PRIVATE_KEY_PATTERN.test(text)) {
    throw new ChainWithdrawalError(
      ChainWithdrawalErrorCodes.hotWalletKeyInvalid,
      `the hot wallet key must be 64 hex digits (optionally 0x-prefixed) or an encrypted key (${ENCRYPTED_KEY_PREFIX}.…)`,
    );
  }
  return text.startsWith('0x') ? text.toLowerCase() : `0x${text.toLowerCase()}`;
}

function parseEncryptionKey(text: string): Buffer {
  if (!ENCRYPTION_KEY_PATTERN.test(text.trim())) {
    throw new ChainWithdrawalError(ChainWithdrawalErrorCodes.hotWalletEncryptionKeyMissing, `the hot wallet encryption key must be ${ENCRYPTION_KEY_BYTES * 2} hex digits (32 bytes)`);
  }
  return Buffer.from(text.trim(), 'hex');
}
