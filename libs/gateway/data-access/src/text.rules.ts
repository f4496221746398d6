import { GatewayError, GatewayErrorCodes } from './errors';

/** Control characters other than line breaks and tabs: never stored from a user. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * A user's free text, trimmed, checked for length (in code points, as users count) and control
 * characters. Throws GatewayError(BOT_ERR_INVALID_TEXT) naming the field; nothing is stored then.
 */
export function userText(field: string, value: string, limits: { min: number; max: number }): string {
  const text = value.trim();
  const length = [...text].length;
  if (length < limits.min || length > limits.max) {
    throw new GatewayError(GatewayErrorCodes.invalidText, `${field} must be ${limits.min}..${limits.max} characters, got ${length}`);
  }
  if (CONTROL_CHARACTERS.test(text)) throw new GatewayError(GatewayErrorCodes.invalidText, `${field} contains control characters`);
  return text;
}
