import { createHash } from 'node:crypto';
import { asc, desc, sql } from 'drizzle-orm';
import type { CloudEvent } from '@strongbox/shared-contracts';
import type { DbExecutor } from '@strongbox/shared-db';
import { auditLogTable, type AuditLogRow } from './audit.schema';

/** Hash that the first row chains to. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 over the previous hash and the row's content. */
export function chainHash(prevHash: string, content: { eventId: string; eventType: string; occurredAt: string; payload: unknown }): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

/**
 * Appends an event to the audit log in the caller's transaction. A transaction-scoped advisory lock
 * serialises appenders, so each row chains to the one committed before it.
 */
export async function appendAuditEvent(tx: DbExecutor, event: CloudEvent): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(current_schema() || '.audit_log'))`);
  const last = await tx.select({ hash: auditLogTable.hash }).from(auditLogTable).orderBy(desc(auditLogTable.seq)).limit(1);
  const prevHash = last[0]?.hash ?? GENESIS_HASH;
  const hash = chainHash(prevHash, { eventId: event.id, eventType: event.type, occurredAt: event.time, payload: event });
  await tx.insert(auditLogTable).values({
    eventId: event.id,
    eventType: event.type,
    source: event.source,
    subject: event.subject ?? null,
    occurredAt: new Date(event.time),
    payload: event,
    prevHash,
    hash,
  });
}

/** Result of re-computing the chain: the first row whose hash does not match, if any. */
export type ChainVerification = { readonly ok: true; readonly rows: number } | { readonly ok: false; readonly rows: number; readonly brokenAtSeq: bigint };

/** Recomputes the whole chain in pages and names the first broken row. */
export async function verifyAuditChain(tx: DbExecutor, pageSize = 1_000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let afterSeq = 0n;
  let rows = 0;
  for (;;) {
    const page: AuditLogRow[] = await tx
      .select()
      .from(auditLogTable)
      .where(sql`${auditLogTable.seq} > ${afterSeq}`)
      .orderBy(asc(auditLogTable.seq))
      .limit(pageSize);
    if (page.length === 0) return { ok: true, rows };
    for (const row of page) {
      const expected = chainHash(prevHash, {
        eventId: row.eventId,
        eventType: row.eventType,
        occurredAt: (row.payload as CloudEvent).time,
        payload: row.payload,
      });
      if (row.prevHash !== prevHash || row.hash !== expected) return { ok: false, rows, brokenAtSeq: row.seq };
      prevHash = row.hash;
      afterSeq = row.seq;
      rows += 1;
    }
  }
}
