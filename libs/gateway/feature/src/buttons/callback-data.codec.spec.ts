// Proves the signed callback data: what is signed verifies for the same user and fits Telegram's
// 64 bytes even at the largest action and payload; any changed character, another user, another
// secret, or garbage is refused; bad fields are refused when signing. The issue time in the intent id:
// a button is valid up to the maximum age and expired after it, a changed time breaks the MAC, and
// buttons of the old format (no time) are answered as expired when genuine. Table-driven.
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX,
  CALLBACK_DATA_BYTES_MAX,
  createCallbackDataCodec,
  intentIssuedAtMs,
  INTENT_EPOCH_MS,
  newIntentId,
  type SignedButton,
} from './callback-data.codec';

const SECRET = 'a-test-secret-that-is-32-chars-long!!';
const codec = createCallbackDataCodec(SECRET);
const USER = 424_242;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The button, when `data` verifies as valid; undefined for anything else. */
const validButton = (data: string, check = codec, user = USER) => {
  const result = check.verify(user, data);
  return result.status === 'valid' ? result.button : undefined;
};

/** A codec whose clock reads `clock.now`, with a maximum age of `maxAgeMs`. */
function clockedCodec(maxAgeMs: number, startMs: number) {
  const clock = { now: startMs };
  return { clock, codec: createCallbackDataCodec(SECRET, { maxAgeMs, now: () => clock.now }) };
}

describe('callback data codec', () => {
  it('round-trips and stays within 64 bytes at the largest size', () => {
    const action = 'a'.repeat(24);
    const button: SignedButton = { action, intentId: newIntentId(), payload: 'p'.repeat(BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX - action.length) };
    const data = codec.sign(USER, button);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(CALLBACK_DATA_BYTES_MAX);
    expect(validButton(data)).toEqual(button);
    const small = { action: 'wd.confirm', intentId: newIntentId(), payload: '' };
    expect(validButton(codec.sign(USER, small))).toEqual(small);
  });

  it('leaves room for the largest button the flows make (support cancel: action and a packed uuid)', () => {
    const packedUuid = Buffer.from(randomBytes(16)).toString('base64url');
    const button = { action: 'sup.cx', intentId: newIntentId(), payload: packedUuid };
    expect(validButton(codec.sign(USER, button))).toEqual(button);
  });

  it('gives distinct intent ids', () => {
    const ids = new Set(Array.from({ length: 1_000 }, () => newIntentId()));
    expect(ids.size).toBe(1_000);
  });

  it('carries the minute an intent id was made', () => {
    const madeAt = Date.UTC(2026, 10, 23, 20, 41, 37);
    expect(intentIssuedAtMs(newIntentId(madeAt))).toBe(Date.UTC(2026, 10, 23, 20, 41));
    expect(intentIssuedAtMs(newIntentId(INTENT_EPOCH_MS))).toBe(INTENT_EPOCH_MS);
    expect(() => newIntentId(INTENT_EPOCH_MS - 1)).toThrow(RangeError);
  });

  it('accepts a button up to the maximum age and refuses it as expired after', () => {
    const maxAgeMs = 7 * DAY;
    const { clock, codec: clocked } = clockedCodec(maxAgeMs, Date.UTC(2026, 10, 23, 12, 0));
    const button = { action: 'wd.confirm', intentId: clocked.newIntentId(), payload: 'USDT:15' };
    const data = clocked.sign(USER, button);
    expect(clocked.verify(USER, data)).toEqual({ status: 'valid', button, issuedAtMs: Date.UTC(2026, 10, 23, 12, 0) });
    clock.now += maxAgeMs;
    expect(clocked.verify(USER, data).status).toBe('valid');
    clock.now += 1;
    expect(clocked.verify(USER, data)).toEqual({ status: 'expired', action: 'wd.confirm', issuedAtMs: Date.UTC(2026, 10, 23, 12, 0) });
    // Expiry is only granted to genuine buttons: another user's copy stays invalid.
    expect(clocked.verify(USER + 1, data).status).toBe('invalid');
  });

  it('refuses a button whose issue time was changed (the MAC covers it)', () => {
    const { clock, codec: clocked } = clockedCodec(7 * DAY, Date.UTC(2026, 10, 1));
    const data = clocked.sign(USER, { action: 'wd.confirm', intentId: clocked.newIntentId(), payload: '' });
    clock.now += 30 * DAY;
    expect(clocked.verify(USER, data).status).toBe('expired');
    const [action, intentId, payload, mac] = data.split('|') as [string, string, string, string];
    // The same random part with the current minute: a fresh-looking button.
    const fresher = `${newIntentId(clock.now).slice(0, 4)}${intentId.slice(4)}`;
    expect(intentIssuedAtMs(fresher)).toBeGreaterThan(intentIssuedAtMs(intentId) ?? Infinity);
    expect(clocked.verify(USER, [action, fresher, payload, mac].join('|')).status).toBe('invalid');
  });

  it('answers a genuine button of the old format (12 random characters, v1 MAC) as expired, a forged one as invalid', () => {
    const intentId = randomBytes(9).toString('base64url');
    const v1Mac = createHmac('sha256', Buffer.from(SECRET)).update(`sb-button-v1\n${USER}\nwd.confirm\n${intentId}\n`).digest().subarray(0, 12).toString('base64url');
    const old = `wd.confirm|${intentId}||${v1Mac}`;
    expect(codec.verify(USER, old)).toEqual({ status: 'expired', action: 'wd.confirm', issuedAtMs: undefined });
    expect(codec.verify(USER + 1, old).status).toBe('invalid');
    expect(codec.verify(USER, `wd.confirm|${intentId}||${'A'.repeat(16)}`).status).toBe('invalid');
  });

  it('refuses every single-character change', () => {
    const data = codec.sign(USER, { action: 'wd.confirm', intentId: newIntentId(), payload: 'USDT:15' });
    for (let index = 0; index < data.length; index += 1) {
      const replacement = data[index] === 'A' ? 'B' : 'A';
      const changed = data.slice(0, index) + replacement + data.slice(index + 1);
      expect(codec.verify(USER, changed).status, `changed at ${index}`).toBe('invalid');
    }
  });

  it.each([
    ['another user', (data: string) => codec.verify(USER + 1, data)],
    ['another secret', (data: string) => createCallbackDataCodec('another-secret-that-is-32-chars-long').verify(USER, data)],
    ['a truncated MAC', (data: string) => codec.verify(USER, data.slice(0, -1))],
    ['an extra field', (data: string) => codec.verify(USER, `${data}|x`)],
  ])('refuses data checked with %s', (_case, check) => {
    const data = codec.sign(USER, { action: 'menu.balance', intentId: newIntentId(), payload: '' });
    expect(check(data).status).toBe('invalid');
  });

  it.each([
    '',
    '|||',
    'menu.balance',
    'x'.repeat(65),
    'wd.confirm|AAAAAAAAAAAA||AAAAAAAAAAAAAAAA',
    'wd.confirm|AAAAAAAAAAAAAA||AAAAAAAAAAAAAAAA',
    'Wd|AAAAAAAAAAAAAA||AAAAAAAAAAAAAAAA',
    '١٢|٣|٤|٥',
    '\u0000|\u0000|\u0000|\u0000',
  ])('refuses garbage %j', (data) => {
    expect(codec.verify(USER, data).status).toBe('invalid');
  });

  it.each([
    ['an upper-case action', { action: 'Wd', intentId: newIntentId(), payload: '' }],
    ['an action with a separator', { action: 'wd|x', intentId: newIntentId(), payload: '' }],
    ['a payload with a separator', { action: 'wd', intentId: newIntentId(), payload: 'a|b' }],
    ['a made-up intent id', { action: 'wd', intentId: 'abc', payload: '' }],
    ['an old-format intent id', { action: 'wd', intentId: randomBytes(9).toString('base64url'), payload: '' }],
    ['too long a payload', { action: 'wd', intentId: newIntentId(), payload: 'p'.repeat(BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX) }],
  ])('refuses to sign %s', (_case, button) => {
    expect(() => codec.sign(USER, button)).toThrow(RangeError);
  });

  it('refuses a short secret and a maximum age under a minute', () => {
    expect(() => createCallbackDataCodec('short')).toThrow(/at least 32/);
    expect(() => createCallbackDataCodec(SECRET, { maxAgeMs: 59_999 })).toThrow(RangeError);
  });
});
