import type { DatabaseHandle } from './database';

/** Rows one purge statement deletes, and statements one purge call runs at most. */
export const PURGE_CHUNK_SIZE_MAX = 5_000;
export const PURGE_CHUNKS_MAX = 1_000;

/**
 * Deletes the rows of `table` whose `timestampColumn` is more than `olderThanMs` in the past, oldest
 * first, in chunks of PURGE_CHUNK_SIZE_MAX (short statements, short locks) and at most
 * PURGE_CHUNKS_MAX chunks; returns how many. The outbox, inbox and idempotency purges share it; each
 * checks its own minimum age first. `table` and `timestampColumn` are the lib's own identifiers,
 * never input.
 */
export async function purgeRowsOlderThan(
  database: Pick<DatabaseHandle, 'sql'>,
  options: { table: string; timestampColumn: string; olderThanMs: number },
): Promise<number> {
  const { sql } = database;
  const table = sql(options.table);
  const column = sql(options.timestampColumn);
  let total = 0;
  for (let chunk = 0; chunk < PURGE_CHUNKS_MAX; chunk += 1) {
    const result = await sql`
      delete from ${table} where ctid in (
        select ctid from ${table}
        where ${column} < now() - interval '1 millisecond' * ${options.olderThanMs}::double precision
        order by ${column}
        limit ${PURGE_CHUNK_SIZE_MAX}
      )`;
    total += result.count;
    if (result.count < PURGE_CHUNK_SIZE_MAX) break;
  }
  return total;
}
