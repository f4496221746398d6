// Proves the signed callback data: what is signed verifies for the same user and fits Telegram's
// 64 bytes even at the largest action and payload; any changed character, another user, another
// secret, or garbage is refused; bad fields are refused when signing. Table-driven.
import { describe, expect, it } from 'vitest';
import {
  BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX,
  CALLBACK_DATA_BYTES_MAX,
  createCallbackDataCodec,
  newIntentId,
  type SignedButton,
} from './callback-data.codec';

const codec = createCallbackDataCodec('a-test-secret-that-is-32-chars-long!!');
const USER = 424_242;

describe('callback data codec', () => {
  it('round-trips and stays within 64 bytes at the largest size', () => {
    const action = 'a'.repeat(24);
    const button: SignedButton = { action, intentId: newIntentId(), payload: 'p'.repeat(BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX - action.length) };
    const data = codec.sign(USER, button);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(CALLBACK_DATA_BYTES_MAX);
    expect(codec.verify(USER, data)).toEqual(button);
    const small = { action: 'wd.confirm', intentId: newIntentId(), payload: '' };
    expect(codec.verify(USER, codec.sign(USER, small))).toEqual(small);
  });

  it('gives distinct intent ids', () => {
    const ids = new Set(Array.from({ length: 1_000 }, () => newIntentId()));
    expect(ids.size).toBe(1_000);
  });

  it('refuses every single-character change', () => {
    const data = codec.sign(USER, { action: 'wd.confirm', intentId: newIntentId(), payload: 'USDT:15' });
    for (let index = 0; index < data.length; index += 1) {
      const replacement = data[index] === 'A' ? 'B' : 'A';
      const changed = data.slice(0, index) + replacement + data.slice(index + 1);
      expect(codec.verify(USER, changed), `changed at ${index}`).toBeUndefined();
    }
  });

  it.each([
    ['another user', (data: string) => codec.verify(USER + 1, data)],
    ['another secret', (data: string) => createCallbackDataCodec('another-secret-that-is-32-chars-long').verify(USER, data)],
    ['a truncated MAC', (data: string) => codec.verify(USER, data.slice(0, -1))],
    ['an extra field', (data: string) => codec.verify(USER, `${data}|x`)],
  ])('refuses data checked with %s', (_case, check) => {
    const data = codec.sign(USER, { action: 'menu.balance', intentId: newIntentId(), payload: '' });
    expect(check(data)).toBeUndefined();
  });

  it.each(['', '|||', 'menu.balance', 'x'.repeat(65), 'wd.confirm|AAAAAAAAAAAA||AAAAAAAAAAAAAAAA', 'Wd|AAAAAAAAAAAA||AAAAAAAAAAAAAAAA', '١٢|٣|٤|٥', '\u0000|\u0000|\u0000|\u0000'])(
    'refuses garbage %j',
    (data) => {
      expect(codec.verify(USER, data)).toBeUndefined();
    },
  );

  it.each([
    ['an upper-case action', { action: 'Wd', intentId: newIntentId(), payload: '' }],
    ['an action with a separator', { action: 'wd|x', intentId: newIntentId(), payload: '' }],
    ['a payload with a separator', { action: 'wd', intentId: newIntentId(), payload: 'a|b' }],
    ['a made-up intent id', { action: 'wd', intentId: 'abc', payload: '' }],
    ['too long a payload', { action: 'wd', intentId: newIntentId(), payload: 'p'.repeat(BUTTON_ACTION_AND_PAYLOAD_BYTES_MAX) }],
  ])('refuses to sign %s', (_case, button) => {
    expect(() => codec.sign(USER, button)).toThrow(RangeError);
  });

  it('refuses a short secret', () => {
    expect(() => createCallbackDataCodec('short')).toThrow(/at least 32/);
  });
});
