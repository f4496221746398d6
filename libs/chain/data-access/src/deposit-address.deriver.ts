import { getAddress, HDNodeVoidWallet, HDNodeWallet } from 'ethers';
import { ChainError, ChainErrorCodes } from './errors';

/** Largest derivation index: non-hardened children only (a public key can derive nothing else). */
export const DERIVATION_INDEX_MAX = 2 ** 31 - 1;

/** Derives deposit addresses from an extended public key; it can never sign for them. */
export interface DepositAddressDeriver {
  /** The checksummed address at `index` on the xpub's chain (the xpub is the external chain, m/44'/60'/0'/0). */
  derive(index: number): string;
}

/**
 * Parses an extended public key and refuses an extended private key: the watcher must never hold a
 * deposit private key.
 *
 * @example
 * const deriver = createDepositAddressDeriver(config.CHAIN_DEPOSIT_XPUB);
 * deriver.derive(0); // '0x…'
 */
export function createDepositAddressDeriver(xpub: string): DepositAddressDeriver {
  let node: HDNodeWallet | HDNodeVoidWallet;
  try {
    node = HDNodeWallet.fromExtendedKey(xpub.trim());
  } catch (error) {
    throw new ChainError(ChainErrorCodes.invalidXpub, 'the deposit extended public key is not a valid xpub', { cause: error });
  }
  if (!(node instanceof HDNodeVoidWallet)) {
    throw new ChainError(ChainErrorCodes.invalidXpub, 'an extended PRIVATE key was given; configure the extended public key (xpub) only');
  }
  const publicNode = node;
  return {
    derive(index) {
      if (!Number.isSafeInteger(index) || index < 0 || index > DERIVATION_INDEX_MAX) {
        throw new ChainError(ChainErrorCodes.limit, `derivation index ${index} is outside [0, ${DERIVATION_INDEX_MAX}]`);
      }
      return getAddress(publicNode.deriveChild(index).address);
    },
  };
}
