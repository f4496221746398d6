import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { DbExecutor } from '@strongbox/shared-db';
import { sessionsTable } from './gateway.schema';

// The PostgreSQL side of the session storage. PostgreSQL hands out every version: a write bumps the
// row's version in one statement, so two writers can never give out the same version and Redis only
// ever holds copies of versions PostgreSQL assigned.

/** Rows one sync pass moves back into Redis at most. */
export const SESSION_SYNC_BATCH_MAX = 500;

/** A stored session entry; `value` null is a deletion. */
export interface StoredSession {
  readonly key: string;
  readonly value: unknown;
  readonly version: bigint;
  /** Written while Redis could not take it: not yet copied back. */
  readonly needsSync: boolean;
}

/**
 * Writes `value` (null deletes) as the next version of `key` and marks the row as not yet in
 * Redis; returns the version written. The caller clears the mark once Redis holds that version.
 */
export async function writeSessionVersion(db: DbExecutor, key: string, value: unknown): Promise<bigint> {
  const now = new Date();
  // drizzle's jsonb column would JSON-encode a JS null as the JSON value `null`; SQL NULL is the
  // deletion marker the table documents, so null is passed as a SQL literal.
  const stored = value === null ? sql`null` : sql`${JSON.stringify(value)}::jsonb`;
  const rows = await db
    .insert(sessionsTable)
    .values({ key, value: stored, version: 1n, needsSync: true, updatedAt: now })
    .onConflictDoUpdate({
      target: sessionsTable.key,
      set: { value: stored, version: sql`${sessionsTable.version} + 1`, needsSync: true, updatedAt: now },
    })
    .returning({ version: sessionsTable.version });
  const row = rows[0];
  if (!row) throw new Error('session upsert returned no row');
  return row.version;
}

/** The stored entry of `key`, deletions included; undefined when the key was never written. */
export async function readSession(db: DbExecutor, key: string): Promise<StoredSession | undefined> {
  const rows = await db
    .select({ key: sessionsTable.key, value: sessionsTable.value, version: sessionsTable.version, needsSync: sessionsTable.needsSync })
    .from(sessionsTable)
    .where(eq(sessionsTable.key, key))
    .limit(1);
  return rows[0];
}

/** Entries written while Redis could not take them, oldest first. */
export async function listUnsyncedSessions(db: DbExecutor, limit: number): Promise<StoredSession[]> {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SESSION_SYNC_BATCH_MAX) {
    throw new RangeError(`listUnsyncedSessions: limit must be 1..${SESSION_SYNC_BATCH_MAX}, got ${limit}`);
  }
  return db
    .select({ key: sessionsTable.key, value: sessionsTable.value, version: sessionsTable.version, needsSync: sessionsTable.needsSync })
    .from(sessionsTable)
    .where(eq(sessionsTable.needsSync, true))
    .orderBy(asc(sessionsTable.updatedAt))
    .limit(limit);
}

/**
 * Clears the "not in Redis" mark of `key` if the row still holds `version`; a newer write since
 * keeps its own mark. Returns whether the mark was cleared.
 */
export async function markSessionSynced(db: DbExecutor, key: string, version: bigint): Promise<boolean> {
  const rows = await db
    .update(sessionsTable)
    .set({ needsSync: false })
    .where(and(eq(sessionsTable.key, key), eq(sessionsTable.version, version), eq(sessionsTable.needsSync, true)))
    .returning({ key: sessionsTable.key });
  return rows.length > 0;
}

/** Keys one `readSessions` call may ask for. */
export const SESSION_READ_KEYS_MAX = 1_000;

/** The stored entries of `keys` (those that exist). */
export async function readSessions(db: DbExecutor, keys: readonly string[]): Promise<StoredSession[]> {
  if (keys.length > SESSION_READ_KEYS_MAX) throw new RangeError(`readSessions: at most ${SESSION_READ_KEYS_MAX} keys, got ${keys.length}`);
  if (keys.length === 0) return [];
  return db
    .select({ key: sessionsTable.key, value: sessionsTable.value, version: sessionsTable.version, needsSync: sessionsTable.needsSync })
    .from(sessionsTable)
    .where(inArray(sessionsTable.key, [...keys]));
}

/**
 * Records that copies of `keys` are about to be put into Redis: their rows' `updated_at` becomes
 * now, so the purge (purgeIdleSessions) keeps each row at least as long as the copy's Redis TTL.
 * Returns the keys whose rows exist; a key without a row (purged) must not be copied.
 */
export async function touchSessionsForCopy(db: DbExecutor, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length > SESSION_READ_KEYS_MAX) throw new RangeError(`touchSessionsForCopy: at most ${SESSION_READ_KEYS_MAX} keys, got ${keys.length}`);
  if (keys.length === 0) return new Set();
  const rows = await db
    .update(sessionsTable)
    .set({ updatedAt: new Date() })
    .where(inArray(sessionsTable.key, [...keys]))
    .returning({ key: sessionsTable.key });
  return new Set(rows.map((row) => row.key));
}

/** Rows one purge statement deletes at most. */
export const SESSION_PURGE_CHUNK_MAX = 5_000;

/**
 * Deletes up to `limit` session rows neither written nor copied into Redis for more than
 * `idleMs` (by PostgreSQL's clock) and not marked needs_sync, oldest first; returns how many.
 * The caller picks `idleMs` above the Redis TTL of the copies (ADR 17). The rows are locked
 * (skipping locked ones) and the conditions checked again on the locked row, so a concurrent write
 * or touch (touchSessionsForCopy) either commits first and keeps its row, or waits and then finds
 * no row (a write starts the key afresh; a copy is not made).
 */
export async function purgeIdleSessions(db: DbExecutor, idleMs: number, limit: number): Promise<number> {
  if (!Number.isSafeInteger(idleMs) || idleMs < 1) throw new RangeError(`purgeIdleSessions: idleMs must be a positive integer, got ${idleMs}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SESSION_PURGE_CHUNK_MAX) {
    throw new RangeError(`purgeIdleSessions: limit must be 1..${SESSION_PURGE_CHUNK_MAX}, got ${limit}`);
  }
  const cutoff = sql`now() - ${idleMs}::double precision * interval '1 millisecond'`;
  const idle = and(eq(sessionsTable.needsSync, false), lt(sessionsTable.updatedAt, cutoff));
  const candidates = db
    .select({ key: sessionsTable.key })
    .from(sessionsTable)
    .where(idle)
    .orderBy(asc(sessionsTable.updatedAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await db
    .delete(sessionsTable)
    .where(and(inArray(sessionsTable.key, candidates), idle))
    .returning({ key: sessionsTable.key });
  return deleted.length;
}
