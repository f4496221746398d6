import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Signed callback data: `<action>|<intent id>|<payload>|<mac>`, at most Telegram's 64 bytes.
// The MAC is HMAC-SHA256 over the fields and the Telegram user the button was made for, truncated
// to 96 bits: a button cannot be forged, altered or replayed by another user. Written by hand
// because no maintained library signs Telegram's 64-byte callback data; the crypto is node's.

/** Telegram's limit on callback_data, in bytes. */
export const CALLBACK_DATA_BYTES_MAX = 64;
/** Bytes of the HMAC kept; 96 bits leave forgery at 2^-96 per try. */
const MAC_BYTES = 12;
/** Random bytes of an intent id (base64url: 12 characters). */
const INTENT_BYTES = 9;
const SEPARATOR = '|';

export const BUTTON_ACTION_PATTERN = /^[a-z][a-z0-9_.]{0,23}$/;
export const BUTTON_PAYLOAD_PATTERN = /^[A-Za-z0-9_.:=-]*$/;
const INTENT_PATTERN = /^[A-Za-z0-9_-]{12}$/;
const MAC_PATTERN = /^[A-Za-z0-9_-]{16}$/;
/** Room left for action and payload together: 64 bytes less separators, intent and MAC. */
export const BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX = CALLBACK_DATA_BYTES_MAX - 3 - 12 - 16;
/** Shortest secret accepted: 32 bytes of key material. */
export const CALLBACK_SECRET_LENGTH_MIN = 32;

export interface SignedButton {
  readonly action: string;
  readonly intentId: string;
  readonly payload: string;
}

/** A fresh intent id: one per menu or screen, shared by the buttons that exclude each other. */
export function newIntentId(): string {
  return randomBytes(INTENT_BYTES).toString('base64url');
}

export interface CallbackDataCodec {
  /** The callback_data of a button made for `telegramUserId`; throws RangeError on bad fields. */
  sign(telegramUserId: number, button: SignedButton): string;
  /** The button, when `data` is well-formed and signed for `telegramUserId`; undefined otherwise. */
  verify(telegramUserId: number, data: string): SignedButton | undefined;
}

export function createCallbackDataCodec(secret: string): CallbackDataCodec {
  if (secret.length < CALLBACK_SECRET_LENGTH_MIN) {
    throw new RangeError(`callback secret must be at least ${CALLBACK_SECRET_LENGTH_MIN} characters`);
  }
  const key = Buffer.from(secret, 'utf8');
  const mac = (telegramUserId: number, button: SignedButton): Buffer =>
    createHmac('sha256', key)
      .update(`sb-button-v1\n${telegramUserId}\n${button.action}\n${button.intentId}\n${button.payload}`)
      .digest()
      .subarray(0, MAC_BYTES);

  return {
    sign(telegramUserId, button) {
      if (!Number.isSafeInteger(telegramUserId)) throw new RangeError('sign: telegramUserId must be a safe integer');
      if (!BUTTON_ACTION_PATTERN.test(button.action)) throw new RangeError(`sign: action must match ${BUTTON_ACTION_PATTERN.source}`);
      if (!INTENT_PATTERN.test(button.intentId)) throw new RangeError('sign: intentId must come from newIntentId()');
      if (!BUTTON_PAYLOAD_PATTERN.test(button.payload)) throw new RangeError(`sign: payload must match ${BUTTON_PAYLOAD_PATTERN.source}`);
      if (button.action.length + button.payload.length > BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX) {
        throw new RangeError(`sign: action and payload together may hold ${BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX} bytes`);
      }
      const data = [button.action, button.intentId, button.payload, mac(telegramUserId, button).toString('base64url')].join(SEPARATOR);
      return data;
    },
    verify(telegramUserId, data) {
      if (data.length > CALLBACK_DATA_BYTES_MAX || !Number.isSafeInteger(telegramUserId)) return undefined;
      const parts = data.split(SEPARATOR);
      if (parts.length !== 4) return undefined;
      const [action, intentId, payload, macText] = parts as [string, string, string, string];
      if (!BUTTON_ACTION_PATTERN.test(action) || !INTENT_PATTERN.test(intentId) || !BUTTON_PAYLOAD_PATTERN.test(payload) || !MAC_PATTERN.test(macText)) {
        return undefined;
      }
      const button = { action, intentId, payload };
      const given = Buffer.from(macText, 'base64url');
      if (given.length !== MAC_BYTES) return undefined;
      return timingSafeEqual(given, mac(telegramUserId, button)) ? button : undefined;
    },
  };
}
