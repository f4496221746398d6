import { createHash, timingSafeEqual } from 'node:crypto';

/** What Telegram allows in a webhook's `secret_token`: 1–256 of `A-Z a-z 0-9 _ -`. */
export const WEBHOOK_SECRET_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * A check of the `X-Telegram-Bot-Api-Secret-Token` header against the configured secret, in
 * constant time. Both sides are hashed first: `timingSafeEqual` needs equal lengths, and comparing
 * digests keeps the secret's length from leaking through an early length mismatch.
 *
 * @example
 * const matches = webhookSecretMatcher(config.TELEGRAM_WEBHOOK_SECRET);
 * if (!matches(request.headers['x-telegram-bot-api-secret-token'])) return reply.code(401).send();
 */
export function webhookSecretMatcher(secret: string): (presented: string | string[] | undefined) => boolean {
  if (!WEBHOOK_SECRET_PATTERN.test(secret)) throw new RangeError('the webhook secret must be 1-256 characters of A-Z a-z 0-9 _ -');
  const expected = digest(secret);
  return (presented) => {
    // A repeated header arrives as an array: never valid, whatever its parts say.
    if (typeof presented !== 'string' || presented.length === 0) return false;
    return timingSafeEqual(digest(presented), expected);
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
