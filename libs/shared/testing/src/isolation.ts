import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { NAMESPACE_PATTERN } from '@strongbox/shared-contracts';
import { TestingError, TestingErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// Isolation helpers: every test gets its own namespace and talks to the shared loopback servers.
// ---------------------------------------------------------------------------------------------

/** Characters of randomness a namespace carries; 36^6 ≈ 2·10^9 keeps parallel runs apart. */
const NAMESPACE_RANDOM_LENGTH = 6;
/** Longest prefix that still leaves room for `_` and the random part within NAMESPACE_PATTERN. */
export const NAMESPACE_PREFIX_LENGTH_MAX = 24 - 1 - NAMESPACE_RANDOM_LENGTH;
const NAMESPACE_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A fresh namespace for one test, e.g. `t_k3x9a2`: own PostgreSQL schemas, streams, subjects and
 * Redis keys. Matches the contracts' NAMESPACE_PATTERN.
 *
 * @example
 * const namespace = uniqueNamespace();       // 't_k3x9a2'
 * const other = uniqueNamespace('outbox');   // 'outbox_0z81qa'
 */
export function uniqueNamespace(prefix = 't'): string {
  if (prefix.length > NAMESPACE_PREFIX_LENGTH_MAX) {
    throw new TestingError(
      TestingErrorCodes.invalidOption,
      `namespace prefix "${prefix}" is longer than ${NAMESPACE_PREFIX_LENGTH_MAX} characters`,
    );
  }
  // Rejection sampling would be exact; 256 mod 36 = 4 gives a bias too small to matter here.
  const bytes = randomBytes(NAMESPACE_RANDOM_LENGTH);
  let random = '';
  for (const byte of bytes) random += NAMESPACE_ALPHABET[byte % NAMESPACE_ALPHABET.length];
  const namespace = `${prefix}_${random}`;
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new TestingError(
      TestingErrorCodes.invalidOption,
      `namespace prefix "${prefix}" must start with a lower-case letter and hold only a-z, 0-9 and _`,
    );
  }
  return namespace;
}

/** PostgreSQL the integration tests share (`TEST_DATABASE_URL`, trust auth on loopback). */
export const TEST_DATABASE_URL: string = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
/** NATS with JetStream the integration tests share (`TEST_NATS_URL`). */
export const TEST_NATS_URL: string = process.env['TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
/** Redis the integration tests share (`TEST_REDIS_URL`). */
export const TEST_REDIS_URL: string = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before the
 * caller binds it, so callers that spawn servers retry with a new port when the bind fails.
 */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new TestingError(TestingErrorCodes.serverStart, 'could not read the port of a probe socket'));
        return;
      }
      server.close((error) => (error ? reject(error) : resolve(address.port)));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// waitFor: poll a condition with a deadline instead of sleeping a fixed time.
// ---------------------------------------------------------------------------------------------

/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Give up after this long; the error names `description` and what the probe last saw. */
  timeoutMs: number;
  /** Pause between probes; defaults to 50 ms. */
  intervalMs?: number;
  /** What is being waited for, in words: "the relay marks the event sent". */
  description: string;
}

const WAIT_FOR_INTERVAL_MS_DEFAULT = 50;
/** Longest rendering of the last value seen, so a huge object does not flood the test output. */
const LAST_SEEN_CHARS_MAX = 500;

/**
 * Calls `probe` until it returns (or resolves to) a truthy value and returns that value. A probe
 * that throws counts as "not yet"; each probe call is bounded by the remaining time. On timeout it
 * throws a TestingError naming `description` and the last error or value.
 *
 * @example
 * const row = await waitFor(async () => (await sql`select * from t where id = ${id}`)[0],
 *   { timeoutMs: 5_000, description: 'the row is written' });
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitForOptions,
): Promise<T> {
  const intervalMs = options.intervalMs ?? WAIT_FOR_INTERVAL_MS_DEFAULT;
  if (!(options.timeoutMs > 0) || !(intervalMs > 0)) {
    throw new TestingError(TestingErrorCodes.invalidOption, 'waitFor needs a positive timeoutMs and intervalMs');
  }
  const deadline = Date.now() + options.timeoutMs;
  let lastSeen: { kind: 'value'; value: unknown } | { kind: 'error'; error: unknown } | undefined;
  let attempts = 0;

  for (;;) {
    attempts += 1;
    const remainingMs = deadline - Date.now();
    try {
      const value = await withDeadline(Promise.resolve().then(probe), Math.max(remainingMs, 1));
      if (value) return value;
      lastSeen = { kind: 'value', value };
    } catch (error) {
      lastSeen = { kind: 'error', error };
    }
    const waitMs = Math.min(intervalMs, deadline - Date.now());
    if (waitMs <= 0) break;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  const seen =
    lastSeen === undefined
      ? 'nothing'
      : lastSeen.kind === 'error'
        ? `error ${describeError(lastSeen.error)}`
        : `value ${render(lastSeen.value)}`;
  throw new TestingError(
    TestingErrorCodes.timeout,
    `timed out after ${options.timeoutMs} ms (${attempts} attempts) waiting for ${options.description}; last saw ${seen}`,
    lastSeen?.kind === 'error' ? { cause: lastSeen.error } : undefined,
  );
}

const PROBE_TIMED_OUT = Symbol('probe timed out');

/** Resolves like `promise`, or rejects when it has not settled within `timeoutMs`. */
async function withDeadline<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof PROBE_TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(PROBE_TIMED_OUT), timeoutMs);
  });
  try {
    const result = await Promise.race([promise, deadline]);
    if (result === PROBE_TIMED_OUT) throw new Error(`the probe did not settle within ${timeoutMs} ms`);
    return result;
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, LAST_SEEN_CHARS_MAX);
  return render(error);
}

function render(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? `${inner}n` : inner)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > LAST_SEEN_CHARS_MAX ? `${text.slice(0, LAST_SEEN_CHARS_MAX)}…` : text;
}
