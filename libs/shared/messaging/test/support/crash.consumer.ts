import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { cloudEventEnvelopeSchema, type CloudEvent } from '@strongbox/shared-contracts';
import { createDatabase, inboxTable, processOnce, type Database, type ProcessOnceResult } from '@strongbox/shared-db';
import { TEST_DATABASE_URL } from '@strongbox/shared-testing';
import type { ConsumerSpec } from '../../src/index';

// What the crash test's child process and the test itself share: the consumer spec, the database
// with the inbox and an `effects` table (deliberately without a unique key, so a duplicate effect
// would show), and the handler's one transaction.

export const CRASH_MIGRATIONS_FOLDER = fileURLToPath(new URL('../fixtures/migrations', import.meta.url));
export const CRASH_DURABLE = 'test-apply-on-widget-created';

const tables = { inboxTable };
export type CrashDatabase = Database<typeof tables>;

/** The spec both instances use; a short ack wait, so the redelivery after the crash comes soon. */
export function crashConsumerSpec(namespace: string): ConsumerSpec {
  return {
    stream: `${namespace.toUpperCase()}_BOT`,
    durable: CRASH_DURABLE,
    filterSubject: `${namespace}.bot.evt.>`,
    maxDeliver: 5,
    backoffMs: [100],
    ackWaitMs: 2_000,
    batchSizeMax: 1,
    maxAckPending: 1,
    deadLetterSubject: `${namespace}.dlq.${CRASH_DURABLE}`,
    description: 'crash-before-ack test consumer',
  };
}

export function openCrashDatabase(schema: string, applicationName: string): CrashDatabase {
  return createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName, poolSizeMax: 2, connectTimeoutMs: 5_000, statementTimeoutMs: 10_000 },
    tables,
  );
}

export function decodeEvent(raw: unknown): CloudEvent {
  return cloudEventEnvelopeSchema.parse(raw) as CloudEvent;
}

/** The handler's effect: one `effects` row, in the inbox transaction of (durable, event id). */
export function applyOnce(database: CrashDatabase, event: CloudEvent, appliedBy: string): Promise<ProcessOnceResult<void>> {
  return processOnce(database, { consumer: CRASH_DURABLE, eventId: event.id, isolationLevel: 'read committed' }, async (tx) => {
    await tx.execute(sql`insert into effects (event_id, applied_by) values (${event.id}, ${appliedBy})`);
  });
}
