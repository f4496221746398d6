import { createHash, randomBytes } from 'node:crypto';

// One-time recovery codes: 80 random bits in Crockford base32, shown once as XXXX-XXXX-XXXX-XXXX.
// With that much entropy a plain SHA-256 is the right store (it cannot be guessed offline, and it can
// be looked up by hash); argon2's slowness is for human-chosen passwords.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const RECOVERY_CODE_CHARACTERS = 16;
const CODE_PATTERN = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{16}$/;

/** A fresh code, grouped for reading. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = '';
  for (let index = RECOVERY_CODE_CHARACTERS - 1; index >= 0; index -= 1) {
    code += ALPHABET.charAt(Number((bits >> BigInt(index * 5)) & 31n));
    if (index > 0 && index % 4 === 0) code += '-';
  }
  return code;
}

/** SHA-256 of a freshly made code, for storing beside it. */
export function hashNewRecoveryCode(code: string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === null) throw new Error('a generated recovery code failed its own pattern');
  return hashRecoveryCode(canonical);
}

/**
 * The canonical form of what a user typed: upper case, separators and spaces dropped, and the
 * letters Crockford reads as digits (O → 0, I and L → 1). `null` when it cannot be a code.
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (input.length > 64) return null;
  const code = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return CODE_PATTERN.test(code) ? code : null;
}

/** What is stored: SHA-256 of the canonical code, hex. */
export function hashRecoveryCode(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}
