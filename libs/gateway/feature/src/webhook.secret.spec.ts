// Table-driven: the webhook secret check accepts exactly the configured secret, refuses every other
// header value (shorter, longer, empty, repeated, missing), and refuses to be built over a secret
// Telegram would not accept.
import { describe, expect, it } from 'vitest';
import { webhookSecretMatcher } from './webhook.secret';

const matches = webhookSecretMatcher('s3cret_value-ABC');

describe('webhookSecretMatcher', () => {
  it.each([
    ['the secret', 's3cret_value-ABC', true],
    ['a prefix', 's3cret_value', false],
    ['the secret plus more', 's3cret_value-ABCD', false],
    ['other case', 'S3CRET_VALUE-ABC', false],
    ['empty', '', false],
    ['missing', undefined, false],
    ['repeated header', ['s3cret_value-ABC', 's3cret_value-ABC'], false],
  ])('%s → %s', (_name, presented, expected) => {
    expect(matches(presented)).toBe(expected);
  });

  it.each([[''], ['has space'], ['x'.repeat(257)], ['ünïcode']])('refuses the secret %j', (secret) => {
    expect(() => webhookSecretMatcher(secret)).toThrow(RangeError);
  });
});
