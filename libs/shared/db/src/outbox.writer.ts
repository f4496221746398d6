import { context, propagation } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import type { CloudEvent } from '@strongbox/shared-contracts';
import type { DbExecutor } from './database';
import { DbError, DbErrorCodes } from './errors';
import { outboxTable } from './outbox.schema';

/** Most messages one `enqueueEvents` call may write; a state change announcing more is a design error. */
export const ENQUEUE_MESSAGES_MAX = 1_000;

/** One event to publish once the caller's transaction commits. */
export interface OutboxMessage {
  /** Full NATS subject including the namespace (see `eventSubject` in the contracts lib). */
  readonly subject: string;
  readonly event: CloudEvent;
  /** Extra message headers; a `traceparent` given here wins over the captured one. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Writes events into the outbox in the caller's transaction, so they are published if and only if
 * the state change commits. Captures the active OpenTelemetry context (`traceparent`, `tracestate`)
 * into the headers, so the trace continues in the consumers. Also queues a NOTIFY on the schema's
 * outbox channel; PostgreSQL delivers it at commit (never for a rolled-back transaction), which
 * wakes the relay at once instead of at its next poll.
 *
 * Call it with the transaction (`tx`), not with `database.db`: outside a transaction the event and
 * the state change are committed separately.
 *
 * @example
 * await database.db.transaction(async (tx) => {
 *   await tx.insert(accountsTable).values(account);
 *   await enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event }]);
 * }, { isolationLevel: 'read committed' });
 */
export async function enqueueEvents(tx: DbExecutor, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  if (messages.length > ENQUEUE_MESSAGES_MAX) {
    throw new DbError(DbErrorCodes.tooManyMessages, `${messages.length} outbox messages in one call; at most ${ENQUEUE_MESSAGES_MAX}`);
  }
  const traceHeaders: Record<string, string> = {};
  propagation.inject(context.active(), traceHeaders);
  // Both statements are sent together and answered in one round trip: the NOTIFY needs nothing
  // from the insert, and should the insert fail, the NOTIFY fails with the aborted transaction and
  // the insert's error is the one reported (Promise.all rejects with the first to fail, and
  // PostgreSQL answers in order).
  await Promise.all([
    tx.insert(outboxTable).values(
      messages.map((message) => ({
        eventId: message.event.id,
        subject: message.subject,
        event: message.event,
        headers: { ...traceHeaders, ...message.headers },
      })),
    ),
    // current_schema() is the service's schema (the only one on the search_path), which is also
    // what the relay listens on; the channel name must match `outboxChannel(schema)`.
    tx.execute(sql`select pg_notify(current_schema() || '_outbox', '')`),
  ]);
}
