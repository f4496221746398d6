import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Signed callback data: `<action>|<intent id>|<payload>|<mac>`, at most Telegram's 64 bytes.
// The MAC is HMAC-SHA256 over the fields and the Telegram user the button was made for, truncated
// to 96 bits: a button cannot be forged, altered or replayed by another user. Written by hand
// because no maintained library signs Telegram's 64-byte callback data; the crypto is node's.
//
// The intent id carries when its buttons were made: 4 characters of minutes since
// INTENT_EPOCH_MS, then 10 random characters (60 bits). Being part of the MAC, the time cannot be
// changed, and a button older than the codec's maximum age is refused as expired (ADR 17): the
// gateway may then forget the intents of pressed buttons after that age plus a margin.

/** Telegram's limit on callback_data, in bytes. */
export const CALLBACK_DATA_BYTES_MAX = 64;
/** Bytes of the HMAC kept; 96 bits leave forgery at 2^-96 per try. */
const MAC_BYTES = 12;
/** Characters of an intent id: 4 of issue time (24 bits of minutes) and 10 random (60 bits). */
const INTENT_TIME_CHARS = 4;
const INTENT_RANDOM_CHARS = 10;
const INTENT_CHARS = INTENT_TIME_CHARS + INTENT_RANDOM_CHARS;
/** Minute 0 of the intent ids' clock: 2026-01-01T00:00Z; 24 bits of minutes last until late 2057. */
export const INTENT_EPOCH_MS = Date.UTC(2026, 0, 1);
const MINUTE_MS = 60_000;
const INTENT_MINUTES_MAX = 2 ** 24 - 1;
const SEPARATOR = '|';
/** Domain of the MAC; v1 buttons (12 random characters of intent, no time) are refused as expired. */
const MAC_DOMAIN = 'sb-button-v2';
const MAC_DOMAIN_V1 = 'sb-button-v1';

export const BUTTON_ACTION_PATTERN = /^[a-z][a-z0-9_.]{0,23}$/;
export const BUTTON_PAYLOAD_PATTERN = /^[A-Za-z0-9_.:=-]*$/;
const INTENT_PATTERN = /^[A-Za-z0-9_-]{14}$/;
const INTENT_PATTERN_V1 = /^[A-Za-z0-9_-]{12}$/;
const MAC_PATTERN = /^[A-Za-z0-9_-]{16}$/;
/** Room left for action and payload together: 64 bytes less separators, intent and MAC (31). */
export const BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX = CALLBACK_DATA_BYTES_MAX - 3 - INTENT_CHARS - 16;
/** Shortest secret accepted: 32 bytes of key material. */
export const CALLBACK_SECRET_LENGTH_MIN = 32;
/** Default and bounds of the age from which a button is refused as expired. */
export const BUTTON_MAX_AGE_MS_DEFAULT = 7 * 24 * 60 * MINUTE_MS;
export const BUTTON_MAX_AGE_MS_MIN = MINUTE_MS;

export interface SignedButton {
  readonly action: string;
  readonly intentId: string;
  readonly payload: string;
}

/** What `verify` found: a valid button, a genuine one that is too old, or data to refuse. */
export type ButtonVerification =
  | { readonly status: 'valid'; readonly button: SignedButton; readonly issuedAtMs: number }
  /** Signed for this user but made more than the maximum age ago, or in the old format (no issue time). */
  | { readonly status: 'expired'; readonly action: string; readonly issuedAtMs: number | undefined }
  | { readonly status: 'invalid' };

/**
 * A fresh intent id made at `nowMs`: one per menu or screen, shared by the buttons that exclude
 * each other. Throws RangeError outside the clock's range (before 2026, after 2057).
 */
export function newIntentId(nowMs: number = Date.now()): string {
  const minutes = Math.floor((nowMs - INTENT_EPOCH_MS) / MINUTE_MS);
  if (!Number.isSafeInteger(minutes) || minutes < 0 || minutes > INTENT_MINUTES_MAX) throw new RangeError(`newIntentId: time ${nowMs} outside the intent clock`);
  const time = Buffer.alloc(3);
  time.writeUIntBE(minutes, 0, 3);
  // Each of the first 10 characters of 8 random bytes in base64url carries 6 whole random bits.
  return time.toString('base64url') + randomBytes(8).toString('base64url').slice(0, INTENT_RANDOM_CHARS);
}

/** When the buttons of `intentId` were made (the start of that minute); undefined for a malformed id. */
export function intentIssuedAtMs(intentId: string): number | undefined {
  if (!INTENT_PATTERN.test(intentId)) return undefined;
  const time = Buffer.from(intentId.slice(0, INTENT_TIME_CHARS), 'base64url');
  if (time.length !== 3) return undefined;
  return INTENT_EPOCH_MS + time.readUIntBE(0, 3) * MINUTE_MS;
}

export interface CallbackDataCodecOptions {
  /** Age from which a button is refused as expired; default 7 days, at least one minute. */
  readonly maxAgeMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export interface CallbackDataCodec {
  /** The callback_data of a button made for `telegramUserId`; throws RangeError on bad fields. */
  sign(telegramUserId: number, button: SignedButton): string;
  /**
   * Checks `data` for `telegramUserId`: `valid` when well-formed, signed for that user and younger
   * than the maximum age; `expired` when signed for that user but older (or in the old format);
   * `invalid` otherwise.
   */
  verify(telegramUserId: number, data: string): ButtonVerification;
  /** A fresh intent id on the codec's clock. */
  newIntentId(): string;
  readonly maxAgeMs: number;
}

const INVALID: ButtonVerification = { status: 'invalid' };

export function createCallbackDataCodec(secret: string, options: CallbackDataCodecOptions = {}): CallbackDataCodec {
  if (secret.length < CALLBACK_SECRET_LENGTH_MIN) {
    throw new RangeError(`callback secret must be at least ${CALLBACK_SECRET_LENGTH_MIN} characters`);
  }
  const maxAgeMs = options.maxAgeMs ?? BUTTON_MAX_AGE_MS_DEFAULT;
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs < BUTTON_MAX_AGE_MS_MIN) {
    throw new RangeError(`button max age must be an integer of at least ${BUTTON_MAX_AGE_MS_MIN} ms, got ${maxAgeMs}`);
  }
  const now = options.now ?? Date.now;
  const key = Buffer.from(secret, 'utf8');
  const mac = (domain: string, telegramUserId: number, button: SignedButton): Buffer =>
    createHmac('sha256', key)
      .update(`${domain}\n${telegramUserId}\n${button.action}\n${button.intentId}\n${button.payload}`)
      .digest()
      .subarray(0, MAC_BYTES);
  const macMatches = (domain: string, telegramUserId: number, button: SignedButton, given: Buffer): boolean =>
    given.length === MAC_BYTES && timingSafeEqual(given, mac(domain, telegramUserId, button));

  return {
    maxAgeMs,
    newIntentId: () => newIntentId(now()),
    sign(telegramUserId, button) {
      if (!Number.isSafeInteger(telegramUserId)) throw new RangeError('sign: telegramUserId must be a safe integer');
      if (!BUTTON_ACTION_PATTERN.test(button.action)) throw new RangeError(`sign: action must match ${BUTTON_ACTION_PATTERN.source}`);
      if (intentIssuedAtMs(button.intentId) === undefined) throw new RangeError('sign: intentId must come from newIntentId()');
      if (!BUTTON_PAYLOAD_PATTERN.test(button.payload)) throw new RangeError(`sign: payload must match ${BUTTON_PAYLOAD_PATTERN.source}`);
      if (button.action.length + button.payload.length > BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX) {
        throw new RangeError(`sign: action and payload together may hold ${BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX} bytes`);
      }
      return [button.action, button.intentId, button.payload, mac(MAC_DOMAIN, telegramUserId, button).toString('base64url')].join(SEPARATOR);
    },
    verify(telegramUserId, data) {
      if (data.length > CALLBACK_DATA_BYTES_MAX || !Number.isSafeInteger(telegramUserId)) return INVALID;
      const parts = data.split(SEPARATOR);
      if (parts.length !== 4) return INVALID;
      const [action, intentId, payload, macText] = parts as [string, string, string, string];
      if (!BUTTON_ACTION_PATTERN.test(action) || !BUTTON_PAYLOAD_PATTERN.test(payload) || !MAC_PATTERN.test(macText)) return INVALID;
      const button = { action, intentId, payload };
      const given = Buffer.from(macText, 'base64url');
      if (INTENT_PATTERN_V1.test(intentId)) {
        // A button made before intent ids carried their time: genuine ones are answered as expired.
        return macMatches(MAC_DOMAIN_V1, telegramUserId, button, given) ? { status: 'expired', action, issuedAtMs: undefined } : INVALID;
      }
      const issuedAtMs = intentIssuedAtMs(intentId);
      if (issuedAtMs === undefined || !macMatches(MAC_DOMAIN, telegramUserId, button, given)) return INVALID;
      // Only the MAC makes the time trustworthy, so the age is judged after it.
      if (now() - issuedAtMs > maxAgeMs) return { status: 'expired', action, issuedAtMs };
      return { status: 'valid', button, issuedAtMs };
    },
  };
}
