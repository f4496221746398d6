import { and, asc, eq, gt, inArray, isNull, like, or, sql } from 'drizzle-orm';
import type { DbExecutor } from '@strongbox/shared-db';
import { notificationsTable, pendingOperationsTable, recipientsTable, type RecipientRow } from './notify.schema';

// ---------------------------------------------------------------------------------------------
// The notifier's read model of users (from bot-gateway events only) and of the operations users
// wait on (who hears about node outages).
// ---------------------------------------------------------------------------------------------

/**
 * A registration: inserts the recipient; a repeated registration only clears `blocked_at` (the
 * user was heard from), keeping the chat and language later events set.
 */
export async function registerRecipient(tx: DbExecutor, recipient: { userId: string; chatId: bigint; languageCode: string }): Promise<void> {
  await tx
    .insert(recipientsTable)
    .values({ ...recipient, blockedAt: null, updatedAt: sql`now()` })
    .onConflictDoUpdate({ target: recipientsTable.userId, set: { blockedAt: null, updatedAt: sql`now()` } });
}

/** Sets what is known of a recipient and clears `blocked_at`; false when the user is not known yet. */
export async function updateRecipient(
  tx: DbExecutor,
  userId: string,
  change: { languageCode?: string; chatId?: bigint },
): Promise<boolean> {
  const updated = await tx
    .update(recipientsTable)
    .set({ ...change, blockedAt: null, updatedAt: sql`now()` })
    .where(eq(recipientsTable.userId, userId))
    .returning({ userId: recipientsTable.userId });
  return updated.length > 0;
}

export async function recipientOf(tx: DbExecutor, userId: string): Promise<RecipientRow | undefined> {
  const rows = await tx.select().from(recipientsTable).where(eq(recipientsTable.userId, userId)).limit(1);
  return rows[0];
}

/** Recipients in user-id order after `afterUserId` (a broadcast's page), skipping those who blocked the bot. */
export async function recipientsPage(tx: DbExecutor, afterUserId: string | null, limit: number): Promise<RecipientRow[]> {
  const notBlocked = isNull(recipientsTable.blockedAt);
  return tx
    .select()
    .from(recipientsTable)
    .where(afterUserId === null ? notBlocked : and(notBlocked, gt(recipientsTable.userId, afterUserId)))
    .orderBy(asc(recipientsTable.userId))
    .limit(limit);
}

export async function countReachableRecipients(tx: DbExecutor): Promise<number> {
  const rows = await tx.select({ count: sql<number>`count(*)::int` }).from(recipientsTable).where(isNull(recipientsTable.blockedAt));
  return rows[0]?.count ?? 0;
}

export async function openPendingOperation(tx: DbExecutor, userId: string, operationKey: string): Promise<void> {
  await tx.insert(pendingOperationsTable).values({ userId, operationKey }).onConflictDoNothing();
}

export async function closePendingOperation(tx: DbExecutor, userId: string, operationKey: string): Promise<void> {
  await tx.delete(pendingOperationsTable).where(and(eq(pendingOperationsTable.userId, userId), eq(pendingOperationsTable.operationKey, operationKey)));
}

/**
 * Reachable recipients with a pending operation on `chainId`: deposits are keyed by chain, and
 * withdrawals (whose events name no chain) count on every chain.
 */
export async function recipientsWithPendingOperations(tx: DbExecutor, chainId: number): Promise<RecipientRow[]> {
  const waiting = tx
    .selectDistinct({ userId: pendingOperationsTable.userId })
    .from(pendingOperationsTable)
    .where(or(like(pendingOperationsTable.operationKey, `deposit:${chainId}:%`), like(pendingOperationsTable.operationKey, 'withdrawal:%')));
  return tx
    .select()
    .from(recipientsTable)
    .where(and(inArray(recipientsTable.userId, waiting), isNull(recipientsTable.blockedAt)))
    .orderBy(asc(recipientsTable.userId));
}

/** Which of these notification ids are already queued (or sent). */
export async function existingNotificationIds(tx: DbExecutor, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.select({ id: notificationsTable.id }).from(notificationsTable).where(inArray(notificationsTable.id, [...ids]));
  return new Set(rows.map((row) => row.id));
}
