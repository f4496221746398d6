import type { DatabaseHandle, DbExecutor, IsolationLevel } from './database';
import { DbError, DbErrorCodes } from './errors';
import { inboxTable } from './inbox.schema';
import { assertAtLeast } from './timeout';
import { purgeRowsOlderThan, type PurgeLimits } from './purge';

// ---------------------------------------------------------------------------------------------
// The inbox: handle each event once per consumer, in the handler's own transaction.
// ---------------------------------------------------------------------------------------------

/** What `processOnce` did: nothing (the event was handled before) or ran the work. */
export type ProcessOnceResult<T> = { readonly duplicate: true } | { readonly duplicate: false; readonly result: T };

export interface ProcessOnceOptions {
  /** The durable consumer's name; each consumer handles each event once. */
  readonly consumer: string;
  /** The CloudEvent id. */
  readonly eventId: string;
  /** Isolation of the transaction; `read committed` when not given. */
  readonly isolationLevel?: IsolationLevel;
}

/** Longest consumer name or event id accepted (event ids are at most 128 characters by contract). */
const KEY_LENGTH_MAX = 256;

/**
 * Runs `work` at most once per (consumer, event id), exactly once per successful commit. One
 * transaction inserts the inbox row (`on conflict do nothing`) and, only when the row is new, runs
 * `work` with the same transaction. If `work` throws, everything rolls back, the inbox row with it,
 * so a redelivery tries again. Two concurrent calls with the same key serialise on the primary
 * key: the second waits for the first to commit and then finds a duplicate (under `repeatable read`
 * or `serializable` it fails with a serialization error instead, and the redelivery is a duplicate).
 *
 * Acknowledge the message only after this resolves.
 *
 * @example
 * const outcome = await processOnce(database, { consumer: durable, eventId: event.id, isolationLevel: 'read committed' },
 *   (tx) => openUserAccounts(tx, input));
 * if (outcome.duplicate) logger.debug({ eventId: event.id }, 'already handled');
 */
export async function processOnce<T>(
  database: DatabaseHandle,
  options: ProcessOnceOptions,
  work: (tx: DbExecutor) => Promise<T>,
): Promise<ProcessOnceResult<T>> {
  assertKey('consumer', options.consumer);
  assertKey('eventId', options.eventId);
  return database.db.transaction(
    async (tx): Promise<ProcessOnceResult<T>> => {
      const inserted = await tx
        .insert(inboxTable)
        .values({ consumer: options.consumer, eventId: options.eventId })
        .onConflictDoNothing({ target: [inboxTable.consumer, inboxTable.eventId] })
        .returning({ eventId: inboxTable.eventId });
      if (inserted.length === 0) return { duplicate: true };
      return { duplicate: false, result: await work(tx) };
    },
    { isolationLevel: options.isolationLevel ?? 'read committed' },
  );
}

/**
 * Deletes inbox rows processed more than `olderThanMs` ago, in bounded chunks (`limits`, see
 * PurgeLimits), and returns how many. Keep `olderThanMs` well above the bus's longest redelivery
 * window (and the stream's duplicate window): a redelivery of a purged event would be handled again.
 * Services run it through `startInboxHousekeeping` (@strongbox/shared-runtime).
 */
export async function purgeInbox(database: Pick<DatabaseHandle, 'sql'>, olderThanMs: number, limits: PurgeLimits = {}): Promise<number> {
  assertAtLeast('olderThanMs', olderThanMs, 0);
  return purgeRowsOlderThan(database, { table: 'inbox', timestampColumn: 'processed_at', olderThanMs, ...limits });
}

function assertKey(name: string, value: string): void {
  if (value.length === 0 || value.length > KEY_LENGTH_MAX) {
    throw new DbError(DbErrorCodes.invalidOption, `${name} must have 1 to ${KEY_LENGTH_MAX} characters, got ${value.length}`);
  }
}
