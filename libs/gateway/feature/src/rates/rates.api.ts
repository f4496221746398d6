import { z } from 'zod';
import { PermanentError, TransientError } from '@strongbox/shared-resilience';
import { RATE_PATTERN } from './fiat.conversion';

// The exchange-rate API the gateway reads (RATES_API_URL): `GET <url>` answers 200 with
//
//   { "asOf": "2026-11-23T16:00:00Z",
//     "rates": { "USDT": { "USD": "1.0002", "EUR": "0.9213", "RUB": "92.41" }, "EURT": { ... } } }
//
// `asOf` is when the rates were true (ISO 8601 with a zone); each rate is the price of one whole
// unit of the asset in the fiat currency, as a plain decimal string (no exponent, ≤ 12 decimals).
// Anything else is refused whole: a garbled answer never replaces good rates.

/** Largest answer read; a rate table is a few hundred bytes. */
export const RATES_BODY_BYTES_MAX = 64 * 1024;
const ASSETS_MAX = 64;
const FIATS_MAX = 32;
/** How far in the future `asOf` may lie (clock skew) before the answer is refused. */
export const RATES_CLOCK_SKEW_MS_MAX = 60_000;

const ratesAnswerSchema = z.object({
  asOf: z.iso.datetime({ offset: true }),
  rates: z
    .record(z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/), z.record(z.string().regex(/^[A-Z]{3}$/), z.string().regex(RATE_PATTERN)))
    .refine((rates) => Object.keys(rates).length <= ASSETS_MAX, `at most ${ASSETS_MAX} assets`)
    .refine((rates) => Object.values(rates).every((fiats) => Object.keys(fiats).length <= FIATS_MAX), `at most ${FIATS_MAX} currencies per asset`),
});

/** A set of rates: `rates[asset][fiat]` is a decimal string. */
export interface RatesSnapshot {
  readonly asOf: Date;
  readonly rates: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Parses an answer body; throws PermanentError naming the problem. */
export function parseRatesAnswer(body: string, nowMs: number): RatesSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PermanentError('rates API answered something that is not JSON');
  }
  const parsed = ratesAnswerSchema.safeParse(json);
  if (!parsed.success) throw new PermanentError(`rates API answer refused: ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  const asOf = new Date(parsed.data.asOf);
  if (asOf.getTime() > nowMs + RATES_CLOCK_SKEW_MS_MAX) throw new PermanentError('rates API answer refused: asOf lies in the future');
  return { asOf, rates: parsed.data.rates };
}

/** One GET of the rates; transient failures (network, timeout, 5xx, 429) throw TransientError. */
export async function fetchRates(url: string, options: { timeoutMs: number; signal?: AbortSignal; nowMs: () => number }): Promise<RatesSnapshot> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.any(signals), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new TransientError('rates API unreachable', { cause: error });
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    throw new TransientError(`rates API answered ${response.status}`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new PermanentError(`rates API answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > RATES_BODY_BYTES_MAX) {
    await response.body?.cancel();
    throw new PermanentError('rates API answer too large');
  }
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    throw new TransientError('rates API answer cut off', { cause: error });
  }
  if (Buffer.byteLength(body) > RATES_BODY_BYTES_MAX) throw new PermanentError('rates API answer too large');
  return parseRatesAnswer(body, options.nowMs());
}
