import { pino } from 'pino';

// ---------------------------------------------------------------------------------------------
// What must never reach a log line: secrets (by key name, at any depth) and personal data (by
// pattern, inside any string). Applied to every log record, child binding and message.
// ---------------------------------------------------------------------------------------------

/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** How deep a logged object is walked; deeper values are replaced, never printed unmasked. */
export const LOG_DEPTH_MAX = 8;
/** Items of one array kept in a log record; the rest are counted, not printed. */
export const LOG_ARRAY_ITEMS_MAX = 100;
/** Keys of one object kept in a log record. */
export const LOG_OBJECT_KEYS_MAX = 200;
/** Characters of one string kept in a log record. */
export const LOG_STRING_CHARS_MAX = 8_192;

/** Fragments that make a key secret wherever they appear in it (compared without case, `_` or `-`). */
const SECRET_KEY_FRAGMENTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'privatekey',
  'mnemonic',
  'apikey',
  'authorization',
  'cookie',
  'xprv',
  'credential',
  'sessionid',
  // Key material under names that do not say "private" or "secret".
  'walletkey',
  'signingkey',
  'signerkey',
  'encryptionkey',
  'hmackey',
  'masterkey',
] as const;

/**
 * Endings that make a key secret: `token` covers `botToken`, `BOT_TOKEN`, `accessToken` and
 * `x-telegram-bot-api-secret-token` without catching `tokenAddress`; `seed` covers `walletSeed`
 * without catching `seeded`.
 */
const SECRET_KEY_SUFFIXES = ['token', 'seed', 'seedphrase'] as const;

/** Keys whose values are people's names; the value keeps its first character only. */
const NAME_KEYS: ReadonlySet<string> = new Set(['name', 'firstname', 'lastname', 'middlename', 'fullname', 'username', 'displayname']);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** True when a value under `key` is a secret and must be replaced entirely. */
export function isSecretKey(key: string): boolean {
  const normalized = normalizeKey(key);
  return (
    SECRET_KEY_FRAGMENTS.some((fragment) => normalized.includes(fragment)) ||
    SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix))
  );
}

// ---------------------------------------------------------------------------------------------
// Masking inside text.
// ---------------------------------------------------------------------------------------------

interface TextRule {
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

/**
 * Applied in order: URL credentials before e-mail addresses, since `user:pass@host.com` would
 * otherwise read as an address and leave the password behind.
 */
const TEXT_RULES: readonly TextRule[] = [
  {
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    replace: () => REDACTED,
  },
  // Credentials in a URL: postgres://user:password@host → postgres://***@host.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, replace: (_match, scheme = '') => `${scheme}***@` },
  // Secrets in a query string: ?token=abc → ?token=***.
  {
    pattern: /([?&](?:password|passwd|pwd|token|access_token|secret|api[_-]?key|apikey|key|auth|signature|sig)=)[^&#\s]+/gi,
    replace: (_match, prefix = '') => `${prefix}***`,
  },
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, replace: (_match, scheme = '') => `${scheme} ***` },
  // Telegram bot tokens `<bot id>:<secret>`, also inside Bot API URLs (`/bot123:AA…/sendMessage`).
  { pattern: /(?<![0-9])([0-9]{3,20}):[A-Za-z0-9_-]{30,}/g, replace: (_match, botId = '') => `${botId}:***` },
  // BIP32 extended private keys.
  { pattern: /\b[xyzt]prv[1-9A-HJ-NP-Za-km-z]{20,}/g, replace: () => REDACTED },
  // EVM addresses keep their first 6 and last 4 characters: 0x1234…abcd.
  {
    pattern: /\b0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g,
    replace: (match) => `${match.slice(0, 6)}…${match.slice(-4)}`,
  },
  // E-mail addresses keep the first character and the top-level domain: j***@***.com.
  {
    pattern: /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,})\b/g,
    replace: (_match, first = '', topLevel = '') => `${first}***@***.${topLevel}`,
  },
  // International phone numbers keep their last two digits: +***67.
  {
    pattern: /\+[0-9][0-9\s().-]{5,22}[0-9]/g,
    replace: (match) => {
      const digits = match.replace(/[^0-9]/g, '');
      return digits.length >= 7 && digits.length <= 15 ? `+***${digits.slice(-2)}` : match;
    },
  },
];

/**
 * Masks secrets and personal data inside free text: URL credentials and secret query parameters,
 * bearer tokens, Telegram bot tokens, private keys, EVM addresses (first 6 / last 4 kept), e-mail
 * addresses and international phone numbers.
 *
 * @example
 * maskSensitiveText('paid 0x52908400098527886E0F7030069857D2E4169EE7') // 'paid 0x5290…9EE7'
 */
export function maskSensitiveText(text: string): string {
  let masked = text.length > LOG_STRING_CHARS_MAX ? `${text.slice(0, LOG_STRING_CHARS_MAX)}…[truncated]` : text;
  for (const rule of TEXT_RULES) masked = masked.replace(rule.pattern, rule.replace);
  return masked;
}

function maskName(value: string): string {
  return value.length === 0 ? value : `${value.slice(0, 1)}***`;
}

function maskPhone(value: string): string {
  const digits = value.replace(/[^0-9]/g, '');
  return digits.length <= 2 ? '***' : `***${digits.slice(-2)}`;
}

// ---------------------------------------------------------------------------------------------
// Walking a log record.
// ---------------------------------------------------------------------------------------------

/**
 * Returns a copy of `value` safe to log: values under secret keys replaced, names and phone
 * numbers under their keys masked, every string passed through `maskSensitiveText`, errors
 * serialised (message and stack masked too), and size bounded by the LOG_*_MAX limits.
 *
 * @example
 * sanitizeForLog({ headers: { authorization: 'Bearer x' }, user: { firstName: 'Ann' } })
 * // { headers: { authorization: '[REDACTED]' }, user: { firstName: 'A***' } }
 */
export function sanitizeForLog(value: unknown): unknown {
  return sanitizeValue(value, undefined, 0, new Set());
}

/** Same as `sanitizeForLog` for a record whose top level must stay an object (pino formatters). */
export function sanitizeLogRecord(record: Record<string, unknown>): Record<string, unknown> {
  return sanitizeObject(record, 0, new Set());
}

function sanitizeValue(value: unknown, key: string | undefined, depth: number, ancestors: Set<object>): unknown {
  if (key !== undefined && value !== undefined && value !== null && isSecretKey(key)) return REDACTED;
  const normalizedKey = key === undefined ? undefined : normalizeKey(key);
  switch (typeof value) {
    case 'string':
      if (normalizedKey !== undefined && NAME_KEYS.has(normalizedKey)) return maskName(value);
      if (normalizedKey?.includes('phone')) return maskPhone(value);
      return maskSensitiveText(value);
    case 'number':
      return normalizedKey?.includes('phone') ? maskPhone(String(value)) : value;
    case 'bigint':
      // JSON has no bigint; amounts in minor units stay exact as decimal strings.
      return normalizedKey?.includes('phone') ? maskPhone(value.toString()) : value.toString();
    case 'boolean':
    case 'undefined':
      return value;
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.has(object)) return '[Circular]';
  if (depth >= LOG_DEPTH_MAX) return '[depth limit]';
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof URL) return maskSensitiveText(object.href);
  if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return `[binary ${object.byteLength} bytes]`;

  ancestors.add(object);
  try {
    if (object instanceof Error) return sanitizeError(object, depth, ancestors);
    if (Array.isArray(object)) return sanitizeArray(object, depth, ancestors);
    if (object instanceof Set) return sanitizeArray([...object], depth, ancestors);
    if (object instanceof Map) return sanitizeObject(Object.fromEntries(object), depth, ancestors);
    const withJson = object as { toJSON?: unknown };
    if (typeof withJson.toJSON === 'function') {
      return sanitizeValue((withJson.toJSON as () => unknown).call(object), key, depth + 1, ancestors);
    }
    return sanitizeObject(object as Record<string, unknown>, depth, ancestors);
  } finally {
    ancestors.delete(object);
  }
}

function sanitizeArray(items: readonly unknown[], depth: number, ancestors: Set<object>): unknown[] {
  const kept = items.slice(0, LOG_ARRAY_ITEMS_MAX).map((item) => sanitizeValue(item, undefined, depth + 1, ancestors));
  if (items.length > LOG_ARRAY_ITEMS_MAX) kept.push(`[${items.length - LOG_ARRAY_ITEMS_MAX} more items]`);
  return kept;
}

function sanitizeObject(object: Record<string, unknown>, depth: number, ancestors: Set<object>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  let count = 0;
  for (const key of Object.keys(object)) {
    if (count === LOG_OBJECT_KEYS_MAX) {
      result['[more keys]'] = Object.keys(object).length - LOG_OBJECT_KEYS_MAX;
      break;
    }
    count += 1;
    const sanitized = sanitizeValue(object[key], key, depth + 1, ancestors);
    if (sanitized !== undefined) result[key] = sanitized;
  }
  return result;
}

/**
 * pino's own serializer gives type, message and stack with the causes folded in, plus the error's
 * own fields (`code`, …); every one of them is then masked like any other value. `type` and `name`
 * are class names, not people's names, so they are kept as they are.
 */
function sanitizeError(error: Error, depth: number, ancestors: Set<object>): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(serialized)) {
    if (key === 'raw') continue;
    const field = serialized[key];
    if ((key === 'type' || key === 'name') && typeof field === 'string') result[key] = field;
    else {
      const sanitized = sanitizeValue(field, key, depth + 1, ancestors);
      if (sanitized !== undefined) result[key] = sanitized;
    }
  }
  return result;
}
