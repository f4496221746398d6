import type { DatabaseHandle } from './database';
import { DbError, DbErrorCodes } from './errors';

/** Rows one purge statement deletes, and statements one purge call runs at most. */
export const PURGE_CHUNK_SIZE_MAX = 5_000;
export const PURGE_CHUNKS_MAX = 1_000;

/** How many rows one purge statement deletes and how many statements one purge call runs, at most. */
export interface PurgeLimits {
  /** 1 to PURGE_CHUNK_SIZE_MAX; PURGE_CHUNK_SIZE_MAX when not given. */
  readonly chunkSize?: number;
  /** 1 to PURGE_CHUNKS_MAX; PURGE_CHUNKS_MAX when not given. */
  readonly chunksMax?: number;
}

/**
 * Deletes the rows of `table` whose `timestampColumn` is more than `olderThanMs` in the past, oldest
 * first, in chunks of `chunkSize` rows (short statements, short locks) and at most `chunksMax`
 * chunks (defaults: PURGE_CHUNK_SIZE_MAX and PURGE_CHUNKS_MAX); returns how many. The outbox, inbox and idempotency purges share it; each
 * checks its own minimum age first. `table` and `timestampColumn` are the lib's own identifiers,
 * never input.
 */
export async function purgeRowsOlderThan(
  database: Pick<DatabaseHandle, 'sql'>,
  options: { table: string; timestampColumn: string; olderThanMs: number } & PurgeLimits,
): Promise<number> {
  const chunkSize = options.chunkSize ?? PURGE_CHUNK_SIZE_MAX;
  const chunksMax = options.chunksMax ?? PURGE_CHUNKS_MAX;
  assertInRange('chunkSize', chunkSize, PURGE_CHUNK_SIZE_MAX);
  assertInRange('chunksMax', chunksMax, PURGE_CHUNKS_MAX);
  const { sql } = database;
  const table = sql(options.table);
  const column = sql(options.timestampColumn);
  let total = 0;
  for (let chunk = 0; chunk < chunksMax; chunk += 1) {
    const result = await sql`
      delete from ${table} where ctid in (
        select ctid from ${table}
        where ${column} < now() - interval '1 millisecond' * ${options.olderThanMs}::double precision
        order by ${column}
        limit ${chunkSize}
      )`;
    total += result.count;
    if (result.count < chunkSize) break;
  }
  return total;
}

function assertInRange(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new DbError(DbErrorCodes.invalidOption, `${name} must be an integer from 1 to ${max}, got ${value}`);
  }
}
