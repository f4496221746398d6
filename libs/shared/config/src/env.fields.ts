import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Building blocks for environment variables. Every variable arrives as a string; these turn it
// into a typed value strictly, so a typo fails at boot instead of becoming a surprising number.
// ---------------------------------------------------------------------------------------------

/** Metadata key that marks a config field as secret: never echoed, also readable from `<KEY>_FILE`. */
export const SECRET_META_KEY = 'secret';

/** Longest comma-separated list a single variable may hold. */
export const LIST_ITEMS_MAX = 32;

/** Decimal digits only, optional leading minus, no leading zeros, no exponent, no fraction, no spaces. */
const STRICT_INTEGER_PATTERN = /^-?(?:0|[1-9][0-9]*)$/;

/**
 * An amount of money in minor units, as decimal digits (`1500000` = 1.5 USDT at 6 decimals): a
 * bigint, never a float. Refuses signs, fractions, exponents and leading zeros.
 *
 * @example
 * LEDGER_WITHDRAWAL_FEE_MINOR: minorUnits().default(1_000_000n).describe('Fee per withdrawal, minor units.')
 */
export function minorUnits() {
  return z
    .string()
    .regex(/^(?:0|[1-9][0-9]{0,37})$/, 'must be an amount in minor units: decimal digits, no sign, fraction or leading zeros')
    .transform((value) => BigInt(value));
}

/**
 * A whole number given in decimal digits, checked against an inclusive range. Refuses `1e3`,
 * `12abc`, `1.5`, `+1`, `007` and surrounding spaces, which `Number()` or `parseInt()` would accept.
 *
 * @example
 * OPS_PORT: strictInteger({ min: 1, max: 65_535 }).default(9100).describe('Port of the ops server.')
 */
export function strictInteger(range: { min: number; max: number }) {
  if (!Number.isSafeInteger(range.min) || !Number.isSafeInteger(range.max) || range.min > range.max) {
    throw new RangeError(`strictInteger: invalid range [${range.min}, ${range.max}]`);
  }
  return z
    .string()
    .regex(STRICT_INTEGER_PATTERN, 'must be a whole number in decimal digits (no exponent, fraction, sign or leading zeros)')
    .transform((value) => Number(value))
    .pipe(
      z
        .number()
        .int()
        .min(range.min, `must be at least ${range.min}`)
        .max(range.max, `must be at most ${range.max}`),
    );
}

/**
 * Marks a field as secret: `loadConfig` never prints its value, and `describeConfig` reports it,
 * so `.env.example` can say "put this in a file".
 *
 * @example
 * DATABASE_URL: secret(postgresUrl()).describe('PostgreSQL connection URL.')
 */
export function secret<T extends z.ZodType>(schema: T): T {
  return schema.meta({ [SECRET_META_KEY]: true });
}

/** True when the field (or a schema it wraps) was marked with `secret()`. */
export function isSecretField(schema: z.core.$ZodType): boolean {
  return schemaChain(schema).some((link) => z.globalRegistry.get(link)?.[SECRET_META_KEY] === true);
}

/**
 * A URL whose scheme is one of `protocols` (without the colon).
 *
 * @example
 * urlWithProtocol(['http', 'https'])
 */
export function urlWithProtocol(protocols: readonly [string, ...string[]]) {
  const pattern = new RegExp(`^(?:${protocols.map(escapeRegExp).join('|')})$`);
  const message = `must be a URL starting with ${protocols.map((protocol) => `${protocol}://`).join(' or ')}`;
  // The WHATWG parser accepts `postgres:db`; a service URL always has the `//` authority part.
  return z.url({ protocol: pattern, error: message }).regex(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, message);
}

/**
 * A comma-separated list of URLs (spaces around commas allowed), each with one of `protocols`; the
 * output is the list normalised to `a,b` so it stays a plain string, as every env value is.
 */
export function urlList(protocols: readonly [string, ...string[]]) {
  const item = urlWithProtocol(protocols);
  const expected = protocols.map((protocol) => `${protocol}://`).join(' or ');
  return z.string().superRefine((value, context) => {
    const items = splitList(value);
    if (items.length === 0) {
      context.addIssue({ code: 'custom', message: 'must hold at least one URL' });
      return;
    }
    if (items.length > LIST_ITEMS_MAX) {
      context.addIssue({ code: 'custom', message: `must hold at most ${LIST_ITEMS_MAX} URLs` });
      return;
    }
    items.forEach((entry, index) => {
      if (!item.safeParse(entry).success) {
        context.addIssue({ code: 'custom', message: `entry ${index + 1} must be a URL starting with ${expected}` });
      }
    });
  }).transform((value) => splitList(value).join(','));
}

/**
 * Splits a comma-separated variable into its trimmed, non-empty items.
 *
 * @example
 * splitList('nats://a:4222, nats://b:4222') // ['nats://a:4222', 'nats://b:4222']
 */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Schema introspection shared by the loader and describeConfig.
// ---------------------------------------------------------------------------------------------

/** How many wrappers (`default`, `optional`, `pipe` …) are followed before giving up. */
const SCHEMA_CHAIN_DEPTH_MAX = 16;

/**
 * The field and every schema it wraps, outermost first: `.default()`, `.optional()`,
 * `.nullable()`, `.readonly()`, `.catch()` and the input side of `.pipe()`/`.transform()`.
 */
export function schemaChain(schema: z.core.$ZodType): z.core.$ZodType[] {
  const chain: z.core.$ZodType[] = [];
  let current: z.core.$ZodType | undefined = schema;
  while (current !== undefined && chain.length < SCHEMA_CHAIN_DEPTH_MAX) {
    chain.push(current);
    const def: z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType } = current._zod.def;
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        current = def.innerType;
        break;
      case 'pipe':
        current = def.in;
        break;
      default:
        current = undefined;
    }
  }
  return chain;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
