import { and, eq, gt, sql } from 'drizzle-orm';
import type { DbExecutor } from '@strongbox/shared-db';
import { notificationsTable, opsAlertsTable } from './notify.schema';

/** What became of one raised alert. */
export type OpsAlertDecision =
  /** Send it; `repeats` counts the copies suppressed since the last one sent; `sentAt` names this send. */
  | { readonly kind: 'send'; readonly repeats: number; readonly sentAt: Date }
  /** The same key was sent within the window: counted, not sent. */
  | { readonly kind: 'duplicate'; readonly suppressed: number }
  /** Too many alerts were sent in the last minute: counted under its key, sent with the next copy after the limit. */
  | { readonly kind: 'rate-limited'; readonly suppressed: number };

/**
 * Decides, under a row lock on the key (so concurrent consumers agree), whether an alert goes to
 * the ops chat: not when the key was sent within `dedupeWindowMs`, nor when `perMinuteMax` alerts
 * were queued in the last minute. A sent alert resets the key's count of suppressed repeats.
 */
export async function decideOpsAlert(tx: DbExecutor, dedupeKey: string, limits: { dedupeWindowMs: number; perMinuteMax: number; template: string }): Promise<OpsAlertDecision> {
  await tx.insert(opsAlertsTable).values({ dedupeKey, lastSentAt: new Date(0), suppressed: 0 }).onConflictDoNothing();
  const [row] = await tx.select().from(opsAlertsTable).where(eq(opsAlertsTable.dedupeKey, dedupeKey)).for('update');
  if (!row) throw new Error(`ops alert ${dedupeKey} vanished`);
  const nowAt = new Date();
  const suppress = async () => {
    const [updated] = await tx
      .update(opsAlertsTable)
      .set({ suppressed: sql`${opsAlertsTable.suppressed} + 1` })
      .where(eq(opsAlertsTable.dedupeKey, dedupeKey))
      .returning({ suppressed: opsAlertsTable.suppressed });
    return updated?.suppressed ?? row.suppressed + 1;
  };
  if (nowAt.getTime() - row.lastSentAt.getTime() < limits.dedupeWindowMs) return { kind: 'duplicate', suppressed: await suppress() };
  const [recent] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(notificationsTable)
    .where(and(eq(notificationsTable.template, limits.template), gt(notificationsTable.createdAt, sql`now() - interval '1 minute'`)));
  if ((recent?.count ?? 0) >= limits.perMinuteMax) return { kind: 'rate-limited', suppressed: await suppress() };
  await tx.update(opsAlertsTable).set({ lastSentAt: nowAt, suppressed: 0 }).where(eq(opsAlertsTable.dedupeKey, dedupeKey));
  return { kind: 'send', repeats: row.suppressed, sentAt: nowAt };
}
