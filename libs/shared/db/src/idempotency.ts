import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { idempotencyKeySchema } from '@strongbox/shared-contracts';
import type { DatabaseHandle, DbExecutor, IsolationLevel } from './database';
import { DbError, DbErrorCodes, sqlStateOf } from './errors';
import { IdempotencyStates, idempotencyKeysTable } from './idempotency.schema';
import { assertAtLeast } from './timeout';
import { purgeRowsOlderThan } from './purge';

// ---------------------------------------------------------------------------------------------
// Idempotent commands: the key row and the command's effects commit in one transaction, so a key
// exists exactly when its effects do, and every retry with the key gets the first response.
// ---------------------------------------------------------------------------------------------

/** How long a duplicate waits for the first request with its key to finish, unless told otherwise. */
export const IDEMPOTENCY_WAIT_TIMEOUT_MS_DEFAULT = 5_000;
/** Longest wait allowed: a caller should get "in progress" and retry rather than hold a connection. */
export const IDEMPOTENCY_WAIT_TIMEOUT_MS_MAX = 60_000;
/** Keys are kept at least this long, so a retry within a day always finds its first response. */
export const IDEMPOTENCY_RETENTION_MS_MIN = 24 * 60 * 60 * 1_000;
/** Largest stored response (its JSON); a command's reply is a short summary, not a data set. */
export const IDEMPOTENT_RESPONSE_BYTES_MAX = 64 * 1024;
/** Scopes name a command (`ledger.transfer`): lower-case letters, digits, `.`, `_`, `-`. */
export const IDEMPOTENCY_SCOPE_PATTERN = /^[a-z0-9._-]{1,64}$/;

/** Nesting depth a request or response may have; deeper data is refused rather than walked without end. */
const JSON_DEPTH_MAX = 64;
/** Attempts of the whole transaction when claiming the key lost a race it cannot see (see below). */
const CLAIM_ATTEMPTS_MAX = 3;

const SQLSTATE_LOCK_NOT_AVAILABLE = '55P03';
const SQLSTATE_SERIALIZATION_FAILURE = '40001';

export interface ExecuteIdempotentOptions {
  /** The command the key belongs to (`ledger.transfer`); the same key may be used in another scope. */
  readonly scope: string;
  /** The caller's idempotency key: 8-128 characters of `A-Z a-z 0-9 _ : . -`. */
  readonly key: string;
  /**
   * The request body the key was sent with (usually the validated command request; including the
   * key itself is harmless). Only its hash is stored: `requestHash(request)`.
   */
  readonly request: unknown;
  /** Isolation of the transaction `work` runs in; `read committed` when not given. */
  readonly isolationLevel?: IsolationLevel;
  /** How long a duplicate waits for a running request with its key; default 5 s, at most 60 s. */
  readonly waitTimeoutMs?: number;
}

/** The response, and whether it was replayed from an earlier execution instead of computed now. */
export interface IdempotentResult<T> {
  readonly replayed: boolean;
  readonly response: T;
}

/**
 * Runs `work` at most once per (scope, key) and remembers its response.
 *
 * One transaction: insert the key row first (`on conflict do nothing`), then run `work(tx)`, then
 * store its response in the row, then commit — the effects and the key commit together or not at
 * all. Outcomes:
 * - new key: `work` runs; `{ replayed: false, response }`.
 * - key seen before with the same request: `work` does not run; `{ replayed: true, response }` with
 *   the first response, whatever it was.
 * - key seen before with another request: DbError DB_ERR_IDEMPOTENCY_CONFLICT; nothing changes.
 * - key held by a request still running: the insert waits on the key's unique index until that
 *   transaction ends, then replays its response (or, if it rolled back, runs `work` itself). After
 *   `waitTimeoutMs` it gives up with DB_ERR_IDEMPOTENCY_IN_PROGRESS (`transient`: retry shortly).
 *
 * The contract for `work`:
 * - A business refusal that must stay a refusal on retry (insufficient funds, a limit) is
 *   RETURNED as a value, e.g. `{ ok: false, error }`: it is stored and replayed like a success.
 * - A THROW rolls everything back, the key row included, so the same key may be tried again (use
 *   it for failures a retry may fix: a lost connection, a deadlock, a timeout).
 * - The response is stored as jsonb, so it must be plain JSON: objects, arrays, strings, finite
 *   numbers, booleans, null. A bigint, a Date, a Map or `undefined` as the whole response is refused
 *   (DB_ERR_INVALID_ARGUMENT, everything rolled back): put amounts and times in strings. The value
 *   returned is the one read back from the stored row, so the first call and every replay see the
 *   same thing (an `undefined` property is gone, object keys come in jsonb's order).
 *
 * The wait for a running duplicate uses `lock_timeout`, set for the key insert only; `work` runs
 * under the connection's own `lock_timeout`. Under `repeatable read` or `serializable`, a duplicate
 * that committed after this transaction's snapshot is not visible to it; PostgreSQL reports that as
 * a serialization failure on the key insert, and the transaction is simply run again (at most
 * three times), which then replays.
 *
 * Errors: DB_ERR_INVALID_ARGUMENT (bad scope, key, request or response; nothing changes),
 * DB_ERR_INVALID_OPTION (bad `waitTimeoutMs`), DB_ERR_IDEMPOTENCY_CONFLICT,
 * DB_ERR_IDEMPOTENCY_IN_PROGRESS, and whatever `work` or the database throws.
 *
 * @example
 * const { replayed, response } = await executeIdempotent(database,
 *   { scope: 'ledger.transfer', key: request.idempotencyKey, request, isolationLevel: 'read committed' },
 *   async (tx) => {
 *     const outcome = await postTransfer(tx, request);
 *     return outcome.ok ? { ok: true, transferId: outcome.transferId } : { ok: false, code: outcome.code };
 *   });
 */
export async function executeIdempotent<T>(
  database: DatabaseHandle,
  options: ExecuteIdempotentOptions,
  work: (tx: DbExecutor) => Promise<T>,
): Promise<IdempotentResult<T>> {
  assertScope(options.scope);
  assertIdempotencyKey(options.key);
  const waitTimeoutMs = options.waitTimeoutMs ?? IDEMPOTENCY_WAIT_TIMEOUT_MS_DEFAULT;
  if (!Number.isSafeInteger(waitTimeoutMs) || waitTimeoutMs < 1 || waitTimeoutMs > IDEMPOTENCY_WAIT_TIMEOUT_MS_MAX) {
    throw new DbError(DbErrorCodes.invalidOption, `waitTimeoutMs must be an integer in [1, ${IDEMPOTENCY_WAIT_TIMEOUT_MS_MAX}], got ${waitTimeoutMs}`);
  }
  const attempt = {
    scope: options.scope,
    key: options.key,
    requestHash: requestHash(options.request),
    isolationLevel: options.isolationLevel ?? 'read committed',
    waitTimeoutMs,
  } satisfies AttemptOptions;

  for (let attemptNumber = 1; ; attemptNumber += 1) {
    const outcome = await attemptOnce(database, attempt, work);
    if (outcome.kind === 'done') return outcome.result;
    if (attemptNumber >= CLAIM_ATTEMPTS_MAX) {
      // The key keeps appearing and disappearing under us (committed and purged, or racing
      // snapshots); report it as still in progress, which the caller retries.
      throw new DbError(
        DbErrorCodes.idempotencyInProgress,
        `idempotency key ${describeKey(attempt)} could not be claimed or replayed after ${CLAIM_ATTEMPTS_MAX} attempts; retry shortly`,
        { cause: outcome.cause },
      );
    }
  }
}

interface AttemptOptions {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  readonly isolationLevel: IsolationLevel;
  readonly waitTimeoutMs: number;
}

type AttemptOutcome<T> = { readonly kind: 'done'; readonly result: IdempotentResult<T> } | { readonly kind: 'again'; readonly cause: unknown };

/** Thrown inside the transaction to roll it back when the claim must be tried again in a new one. */
class ClaimAgain extends Error {
  override readonly name = 'ClaimAgain';
}

/** One transaction: claim or replay the key, then (when claimed) run the work and store its response. */
async function attemptOnce<T>(database: DatabaseHandle, options: AttemptOptions, work: (tx: DbExecutor) => Promise<T>): Promise<AttemptOutcome<T>> {
  let claiming = true;
  try {
    const result = await database.db.transaction(
      async (tx): Promise<IdempotentResult<T>> => {
        // The limit on the wait, the claim and the end of the limit go to PostgreSQL together and
        // are answered in one round trip; PostgreSQL runs them in order, so the limit covers the
        // insert alone. Should the insert fail (the wait timed out), the reset fails with the
        // aborted transaction, and the insert's error is the one reported: Promise.all rejects with
        // the first to fail, and PostgreSQL answers in order.
        // SET takes no value parameter; the number was checked to be a small safe integer above.
        // A plain SET (not set_config) also takes no snapshot, so a repeatable-read snapshot starts
        // at the insert below.
        const [, claimed] = await Promise.all([
          tx.execute(sql.raw(`set local lock_timeout = ${options.waitTimeoutMs}`)),
          tx
            .insert(idempotencyKeysTable)
            .values({
              scope: options.scope,
              key: options.key,
              requestHash: options.requestHash,
              state: IdempotencyStates.completed,
              // Replaced by the real response before commit; no other transaction ever sees it.
              response: sql`'null'::jsonb`,
            })
            .onConflictDoNothing({ target: [idempotencyKeysTable.scope, idempotencyKeysTable.key] })
            .returning({ key: idempotencyKeysTable.key }),
          // The wait limit was for the key only; the work's own locks wait as the connection says.
          tx.execute(sql.raw('set local lock_timeout to default')),
        ]);

        if (claimed.length === 0) {
          const [row] = await tx
            .select({ requestHash: idempotencyKeysTable.requestHash, response: idempotencyKeysTable.response })
            .from(idempotencyKeysTable)
            .where(and(eq(idempotencyKeysTable.scope, options.scope), eq(idempotencyKeysTable.key, options.key)));
          // Gone between the insert and this read: purged, which takes a day. Try the claim again.
          if (row === undefined) throw new ClaimAgain(`idempotency key ${describeKey(options)} vanished while being read`);
          if (row.requestHash !== options.requestHash) {
            throw new DbError(
              DbErrorCodes.idempotencyConflict,
              `idempotency key ${describeKey(options)} was used before with a different request; nothing was done`,
            );
          }
          return { replayed: true, response: row.response as T };
        }

        claiming = false;
        const json = encodeResponse(await work(tx));
        // The response is returned as read back from jsonb, so the first answer and every replay are
        // the same value, down to key order.
        const [stored] = await tx
          .update(idempotencyKeysTable)
          .set({ response: sql`${json}::jsonb` })
          .where(and(eq(idempotencyKeysTable.scope, options.scope), eq(idempotencyKeysTable.key, options.key)))
          .returning({ response: idempotencyKeysTable.response });
        if (stored === undefined) throw new Error(`idempotency key ${describeKey(options)} claimed in this transaction is missing`);
        return { replayed: false, response: stored.response as T };
      },
      { isolationLevel: options.isolationLevel },
    );
    return { kind: 'done', result };
  } catch (error) {
    if (!claiming) throw error;
    if (error instanceof ClaimAgain) return { kind: 'again', cause: error };
    const state = sqlStateOf(error);
    if (state === SQLSTATE_LOCK_NOT_AVAILABLE) {
      throw new DbError(
        DbErrorCodes.idempotencyInProgress,
        `a request with idempotency key ${describeKey(options)} is still running after ${options.waitTimeoutMs} ms; retry shortly`,
        { cause: error },
      );
    }
    // Repeatable read / serializable: the duplicate committed after our snapshot was taken.
    if (state === SQLSTATE_SERIALIZATION_FAILURE) return { kind: 'again', cause: error };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Many keys in one transaction (group commit). executeIdempotent runs one command per
// transaction; a caller that commits many commands together claims their keys with one statement
// and stores their responses with another, and hands every key it could not claim to
// executeIdempotent afterwards, which replays, reports a conflict or waits as usual.
// ---------------------------------------------------------------------------------------------

/** Most keys one claimIdempotencyKeys or storeIdempotentResponses call takes. */
export const IDEMPOTENCY_KEYS_PER_CALL_MAX = 1_000;

/**
 * Claims the keys that are new, in the caller's transaction, in one statement (keys sorted, so two
 * callers claiming overlapping keys wait for each other instead of deadlocking). Returns the
 * claimed keys; a key already stored (or claimed by a running transaction, after waiting up to
 * `waitTimeoutMs`, then DB_ERR_IDEMPOTENCY_IN_PROGRESS for the whole call), or given twice, is not
 * claimed again. The caller must store a response for every claimed key before its commit
 * (storeIdempotentResponses).
 */
export async function claimIdempotencyKeys(
  tx: DbExecutor,
  options: { scope: string; entries: readonly { key: string; request: unknown }[]; waitTimeoutMs?: number },
): Promise<Set<string>> {
  assertScope(options.scope);
  const waitTimeoutMs = options.waitTimeoutMs ?? IDEMPOTENCY_WAIT_TIMEOUT_MS_DEFAULT;
  if (!Number.isSafeInteger(waitTimeoutMs) || waitTimeoutMs < 1 || waitTimeoutMs > IDEMPOTENCY_WAIT_TIMEOUT_MS_MAX) {
    throw new DbError(DbErrorCodes.invalidOption, `waitTimeoutMs must be an integer in [1, ${IDEMPOTENCY_WAIT_TIMEOUT_MS_MAX}], got ${waitTimeoutMs}`);
  }
  if (options.entries.length === 0 || options.entries.length > IDEMPOTENCY_KEYS_PER_CALL_MAX) {
    throw new DbError(DbErrorCodes.invalidArgument, `claim 1 to ${IDEMPOTENCY_KEYS_PER_CALL_MAX} keys at once, got ${options.entries.length}`);
  }
  const rows = new Map<string, string>();
  for (const entry of options.entries) {
    assertIdempotencyKey(entry.key);
    if (!rows.has(entry.key)) rows.set(entry.key, requestHash(entry.request));
  }
  const sorted = [...rows.keys()].sort();
  try {
    // As in executeIdempotent: the wait limit covers the claim alone, all three in one round trip.
    const [, claimed] = await Promise.all([
      tx.execute(sql.raw(`set local lock_timeout = ${waitTimeoutMs}`)),
      tx
        .insert(idempotencyKeysTable)
        .values(
          sorted.map((key) => ({
            scope: options.scope,
            key,
            requestHash: rows.get(key) as string,
            state: IdempotencyStates.completed,
            response: sql`'null'::jsonb`,
          })),
        )
        .onConflictDoNothing({ target: [idempotencyKeysTable.scope, idempotencyKeysTable.key] })
        .returning({ key: idempotencyKeysTable.key }),
      tx.execute(sql.raw('set local lock_timeout to default')),
    ]);
    return new Set(claimed.map((row) => row.key));
  } catch (error) {
    if (sqlStateOf(error) === SQLSTATE_LOCK_NOT_AVAILABLE) {
      throw new DbError(
        DbErrorCodes.idempotencyInProgress,
        `a request with one of ${sorted.length} idempotency keys in ${options.scope} is still running after ${waitTimeoutMs} ms; retry shortly`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Stores the responses of keys claimed in this transaction, in one statement, and returns each as
 * read back from jsonb (what a replay will return). Every response is plain JSON of at most
 * IDEMPOTENT_RESPONSE_BYTES_MAX.
 */
export async function storeIdempotentResponses<T>(
  tx: DbExecutor,
  options: { scope: string; responses: readonly { key: string; response: T }[] },
): Promise<Map<string, T>> {
  assertScope(options.scope);
  if (options.responses.length === 0) return new Map();
  if (options.responses.length > IDEMPOTENCY_KEYS_PER_CALL_MAX) {
    throw new DbError(DbErrorCodes.invalidArgument, `store at most ${IDEMPOTENCY_KEYS_PER_CALL_MAX} responses at once, got ${options.responses.length}`);
  }
  const values = sql.join(
    options.responses.map(({ key, response }) => sql`(${key}::text, ${encodeResponse(response)}::jsonb)`),
    sql`, `,
  );
  const result = await tx.execute(sql`
    update idempotency_keys as k set response = v.response
    from (values ${values}) as v (key, response)
    where k.scope = ${options.scope} and k.key = v.key
    returning k.key, k.response`);
  const stored = new Map<string, T>();
  for (const row of result as unknown as Iterable<{ key: string; response: T }>) stored.set(row.key, row.response);
  for (const { key } of options.responses) {
    if (!stored.has(key)) throw new Error(`idempotency key ${describeKey({ scope: options.scope, key })} claimed in this transaction is missing`);
  }
  return stored;
}

/**
 * Deletes idempotency keys created more than `olderThanMs` ago, in bounded chunks, and returns how
 * many. Refuses (DB_ERR_INVALID_OPTION) anything under 24 h: callers may retry for a day and must
 * then still get the first response, not a second execution.
 *
 * @example
 * const purged = await purgeIdempotencyKeys(database, 7 * 24 * 60 * 60 * 1_000);
 */
export async function purgeIdempotencyKeys(database: Pick<DatabaseHandle, 'sql'>, olderThanMs: number): Promise<number> {
  assertAtLeast('olderThanMs', olderThanMs, IDEMPOTENCY_RETENTION_MS_MIN);
  return purgeRowsOlderThan(database, { table: 'idempotency_keys', timestampColumn: 'created_at', olderThanMs });
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON: the request hash and the stored response.
// ---------------------------------------------------------------------------------------------

/**
 * SHA-256 (hex) of the canonical JSON of `request`: object keys sorted, no whitespace, a bigint as
 * its decimal string, a Date (anything with `toJSON`) as its JSON, `undefined` properties left out
 * (as JSON.stringify does). Two requests that mean the same hash the same, whatever their key order.
 * Throws DB_ERR_INVALID_ARGUMENT for what JSON cannot say without losing information: a cycle,
 * NaN or an infinity, a Map, Set or other class instance, a function or a symbol, or `undefined`.
 *
 * @example
 * requestHash({ b: 1, a: 2n }) === requestHash({ a: '2', b: 1 }) // true
 */
export function requestHash(request: unknown): string {
  const json = canonicalJson(request, { bigint: 'string', toJson: true, sortKeys: true }, 'request');
  return createHash('sha256').update(json, 'utf8').digest('hex');
}

/** The JSON of a response to store: plain JSON only, at most IDEMPOTENT_RESPONSE_BYTES_MAX. */
function encodeResponse(response: unknown): string {
  const json = canonicalJson(response, { bigint: 'refuse', toJson: false, sortKeys: false }, 'response');
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > IDEMPOTENT_RESPONSE_BYTES_MAX) {
    throw new DbError(
      DbErrorCodes.invalidArgument,
      `the response is ${bytes} bytes of JSON; at most ${IDEMPOTENT_RESPONSE_BYTES_MAX} can be stored with an idempotency key`,
    );
  }
  return json;
}

interface CanonicalOptions {
  /** `string`: a bigint becomes its decimal string (hashing); `refuse`: it is an error (storing). */
  readonly bigint: 'string' | 'refuse';
  /** Whether objects with `toJSON` (a Date) are accepted as what `toJSON` returns. */
  readonly toJson: boolean;
  readonly sortKeys: boolean;
}

function canonicalJson(value: unknown, options: CanonicalOptions, what: string): string {
  const encoded = encodeJsonValue(value, options, what, 0, new Set());
  if (encoded === undefined) {
    throw new DbError(DbErrorCodes.invalidArgument, `the ${what} is undefined; it must be a JSON value (null for nothing)`);
  }
  return encoded;
}

/** The JSON of `value`, or undefined for what JSON leaves out of an object (undefined, as JSON.stringify does). */
function encodeJsonValue(value: unknown, options: CanonicalOptions, path: string, depth: number, ancestors: Set<object>): string | undefined {
  const refuse = (reason: string): never => {
    throw new DbError(DbErrorCodes.invalidArgument, `${path} ${reason}`);
  };
  if (depth > JSON_DEPTH_MAX) refuse(`is nested deeper than ${JSON_DEPTH_MAX} levels`);
  switch (typeof value) {
    case 'undefined':
      return undefined;
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) refuse(`is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case 'bigint':
      if (options.bigint === 'refuse') refuse('is a bigint, which JSON cannot hold; return amounts as decimal strings');
      return JSON.stringify(value.toString());
    case 'function':
    case 'symbol':
      return refuse(`is a ${typeof value}, not JSON data`);
    case 'object':
      break;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (ancestors.has(object)) refuse('refers to itself (a cycle)');

  if (Array.isArray(object)) {
    ancestors.add(object);
    const items = object.map((item: unknown, index) => encodeJsonValue(item, options, `${path}[${index}]`, depth + 1, ancestors) ?? 'null');
    ancestors.delete(object);
    return `[${items.join(',')}]`;
  }
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const toJson = (object as { toJSON?: unknown }).toJSON;
    if (options.toJson && typeof toJson === 'function') {
      return encodeJsonValue(toJson.call(object) as unknown, options, path, depth + 1, ancestors);
    }
    const kind = (object as { constructor?: { name?: unknown } }).constructor?.name;
    return refuse(`is a ${typeof kind === 'string' && kind.length > 0 ? kind : 'class instance'}, not plain JSON data`);
  }
  ancestors.add(object);
  const keys = Object.keys(object);
  if (options.sortKeys) keys.sort();
  const members: string[] = [];
  for (const key of keys) {
    const member = encodeJsonValue((object as Record<string, unknown>)[key], options, `${path}.${key}`, depth + 1, ancestors);
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
  }
  ancestors.delete(object);
  return `{${members.join(',')}}`;
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

function assertScope(scope: string): void {
  if (typeof scope !== 'string' || !IDEMPOTENCY_SCOPE_PATTERN.test(scope)) {
    throw new DbError(DbErrorCodes.invalidArgument, `idempotency scope ${JSON.stringify(scope)} must match ${IDEMPOTENCY_SCOPE_PATTERN.source}`);
  }
}

function assertIdempotencyKey(key: string): void {
  if (!idempotencyKeySchema.safeParse(key).success) {
    const shown = typeof key === 'string' ? `of ${key.length} characters` : `of type ${typeof key}`;
    throw new DbError(DbErrorCodes.invalidArgument, `an idempotency key ${shown} must be 8-128 characters of A-Z a-z 0-9 _ : . -`);
  }
}

/** `scope/key` for messages; keys are caller-chosen opaque tokens, not personal data. */
function describeKey(options: { scope: string; key: string }): string {
  return `${options.scope}/${options.key}`;
}

