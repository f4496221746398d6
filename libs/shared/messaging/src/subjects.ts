// ---------------------------------------------------------------------------------------------
// Subject and name checks, so a typo is refused here with a stable code instead of surfacing as
// a confusing server error (or, worse, as a subscription to the wrong subjects).
// ---------------------------------------------------------------------------------------------

/** Longest subject accepted; NATS has no hard limit, but every subject here is a short, structured name. */
export const SUBJECT_LENGTH_MAX = 256;

/** Stream and durable names: letters, digits, `_` and `-` (no `.`, `*`, `>` or whitespace, which the API refuses). */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN_FORBIDDEN = /[\s*>]/;

/**
 * True when `subject` is a well-formed NATS subject: non-empty tokens separated by `.`, no
 * whitespace. With `wildcards`, a token may be `*` and the last token may be `>`.
 */
export function isValidSubject(subject: string, options: { wildcards: boolean }): boolean {
  if (subject.length === 0 || subject.length > SUBJECT_LENGTH_MAX) return false;
  const tokens = subject.split('.');
  return tokens.every((token, index) => {
    if (token.length === 0) return false;
    if (options.wildcards && token === '*') return true;
    if (options.wildcards && token === '>') return index === tokens.length - 1;
    return !TOKEN_FORBIDDEN.test(token);
  });
}

/** True when `name` can name a stream or a durable consumer. */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}
