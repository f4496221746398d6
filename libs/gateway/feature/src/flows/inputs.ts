import { getAddress, isHexString, ZeroAddress } from 'ethers';
import { DomainErrorCodes, parseAmount, type Asset } from '@strongbox/shared-domain';

// ---------------------------------------------------------------------------------------------
// What users type into dialogs, parsed strictly. Each refusal names a translation key (and its
// variables), so the user reads what is wrong in their language; nothing is changed on a refusal.
// ---------------------------------------------------------------------------------------------

export type InputRefusal = { readonly ok: false; readonly key: string; readonly variables?: Record<string, string | number> };
export type InputResult<T> = { readonly ok: true; readonly value: T } | InputRefusal;

/** Longest text any dialog step reads; Telegram allows 4,096 characters, none of our answers needs them. */
export const DIALOG_TEXT_LENGTH_MAX = 2_000;

function refuse(key: string, variables?: Record<string, string | number>): InputRefusal {
  return variables === undefined ? { ok: false, key } : { ok: false, key, variables };
}

/** Which way a non-number is wrong, for a message that helps the user fix it. */
function amountShapeKey(text: string): string {
  if (/(?![0-9])\p{Nd}/u.test(text)) return 'input-amount-digits';
  if (/[eE]/.test(text) && /[0-9]/.test(text)) return 'input-amount-exponent';
  if (text.includes(',')) return 'input-amount-comma';
  if (/\s/u.test(text)) return 'input-amount-spaces';
  return 'input-amount-not-number';
}

/**
 * An amount typed by a user: surrounding whitespace is forgiven, everything else is parsed by the
 * domain's strict parser (ASCII digits, one `.`, no sign, exponent or grouping, at most the asset's
 * decimals, positive).
 */
export function parseAmountInput(text: string, asset: Asset): InputResult<bigint> {
  if (text.length > DIALOG_TEXT_LENGTH_MAX) return refuse('input-too-long', { max: DIALOG_TEXT_LENGTH_MAX });
  const parsed = parseAmount(text.trim(), asset);
  if (parsed.ok) return { ok: true, value: parsed.amountMinor };
  switch (parsed.error.code) {
    case DomainErrorCodes.amountEmpty:
      return refuse('input-amount-empty');
    case DomainErrorCodes.amountTooLong:
    case DomainErrorCodes.amountTooLarge:
      return refuse('input-amount-too-large');
    case DomainErrorCodes.amountNegative:
      return refuse('input-amount-negative');
    case DomainErrorCodes.amountZero:
      return refuse('input-amount-zero');
    case DomainErrorCodes.amountTooManyDecimals:
      return refuse('input-amount-decimals', { decimals: asset.decimals, asset: asset.code });
    default:
      return refuse(amountShapeKey(text.trim()));
  }
}

/**
 * An EVM address: `0x` and 40 hex digits. A mixed-case address must carry a valid EIP-55 checksum
 * (a wrong one is a typo we can catch); all-lower or all-upper has none to check and is accepted.
 * Returned in its checksummed form. The zero address burns money and is refused.
 */
export function parseAddressInput(text: string): InputResult<string> {
  const candidate = text.trim();
  if (candidate.length === 0) return refuse('input-address-empty');
  if (candidate.length > 100 || !/^0x[0-9a-fA-F]{40}$/.test(candidate)) return refuse('input-address-format');
  const digits = candidate.slice(2);
  const mixedCase = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  let checksummed: string;
  try {
    checksummed = getAddress(mixedCase ? candidate : candidate.toLowerCase());
  } catch {
    return refuse('input-address-checksum');
  }
  if (checksummed === ZeroAddress) return refuse('input-address-zero');
  return { ok: true, value: checksummed };
}

/** A transaction hash: `0x` and 64 hex digits, any case; returned in lower case. */
export function parseTxHashInput(text: string): InputResult<string> {
  const candidate = text.trim();
  if (candidate.length === 0) return refuse('input-tx-hash-empty');
  if (candidate.length !== 66 || !isHexString(candidate, 32)) return refuse('input-tx-hash-format');
  return { ok: true, value: candidate.toLowerCase() };
}
