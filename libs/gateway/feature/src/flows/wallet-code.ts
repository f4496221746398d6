import type { InputResult } from './inputs';

/** A wallet code is a user's own referral code: 9 base64url characters (see newReferralCode). */
const WALLET_CODE_PATTERN = /^[A-Za-z0-9_-]{9}$/;

/**
 * A wallet code typed by a user; surrounding whitespace is forgiven, and the whole referral link
 * (`…?start=<code>`) is accepted too, since that is what people copy.
 */
export function parseWalletCodeInput(text: string): InputResult<string> {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, key: 'transfer-recipient-empty' };
  if (trimmed.length > 200) return { ok: false, key: 'transfer-recipient-format' };
  const fromLink = /^(?:https?:\/\/)?t\.me\/[A-Za-z0-9_]{5,32}\?start=([^&#\s]+)$/.exec(trimmed);
  const code = fromLink?.[1] ?? trimmed;
  return WALLET_CODE_PATTERN.test(code) ? { ok: true, value: code } : { ok: false, key: 'transfer-recipient-format' };
}
