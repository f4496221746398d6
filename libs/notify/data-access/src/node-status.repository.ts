import { and, asc, eq, isNull, lte, sql } from 'drizzle-orm';
import type { DbExecutor } from '@strongbox/shared-db';
import { nodeStatusesTable, nodeStatusNoticesTable, recipientsTable, type RecipientRow } from './notify.schema';

// ---------------------------------------------------------------------------------------------
// Damping of the node outage/recovery notices: which status change of a chain was applied last, and
// what each user was last told about the chain. Called in the inbox transaction of the event.
// ---------------------------------------------------------------------------------------------

/**
 * Records `changedAt` as the chain's latest status change, unless one at least as late was applied
 * already; true when this one is newer (and so to be applied). The upsert holds the chain's row
 * lock until the transaction ends, so two handlers of one chain's events never interleave.
 */
export async function applyNodeStatus(tx: DbExecutor, change: { chainId: number; status: 'up' | 'down'; changedAt: Date }): Promise<boolean> {
  const rows = await tx
    .insert(nodeStatusesTable)
    .values({ chainId: change.chainId, status: change.status, changedAt: change.changedAt })
    .onConflictDoUpdate({
      target: nodeStatusesTable.chainId,
      set: { status: change.status, changedAt: change.changedAt, appliedAt: sql`now()` },
      setWhere: sql`${nodeStatusesTable.changedAt} < excluded.changed_at`,
    })
    .returning({ chainId: nodeStatusesTable.chainId });
  return rows.length > 0;
}

/**
 * Of `userIds`, those to be told the node of `chainId` went down at `changedAt`, marked `down` as
 * they are returned: users never told `down` about the chain, and users told `up` since whose last
 * told `down` is at least `quietMs` before `changedAt`. A user already in `down` gets nothing.
 */
export async function markToldDown(
  tx: DbExecutor,
  input: { chainId: number; changedAt: Date; quietMs: number; userIds: readonly string[] },
): Promise<Set<string>> {
  if (input.userIds.length === 0) return new Set();
  const quietUntil = new Date(input.changedAt.getTime() - input.quietMs);
  const rows = await tx
    .insert(nodeStatusNoticesTable)
    .values(input.userIds.map((userId) => ({ userId, chainId: input.chainId, told: 'down', lastDownAt: input.changedAt })))
    .onConflictDoUpdate({
      target: [nodeStatusNoticesTable.userId, nodeStatusNoticesTable.chainId],
      set: { told: 'down', lastDownAt: input.changedAt, updatedAt: sql`now()` },
      setWhere: and(eq(nodeStatusNoticesTable.told, 'up'), lte(nodeStatusNoticesTable.lastDownAt, quietUntil)),
    })
    .returning({ userId: nodeStatusNoticesTable.userId });
  return new Set(rows.map((row) => row.userId));
}

/**
 * Moves every user told `down` about `chainId` to `up` and returns those of them to tell it, in
 * user-id order: the ones the bot can still reach (not blocked). One statement, however many.
 */
export async function markToldUp(tx: DbExecutor, chainId: number): Promise<RecipientRow[]> {
  const marked = tx.$with('marked').as(
    tx
      .update(nodeStatusNoticesTable)
      .set({ told: 'up', updatedAt: sql`now()` })
      .where(and(eq(nodeStatusNoticesTable.chainId, chainId), eq(nodeStatusNoticesTable.told, 'down')))
      .returning({ userId: nodeStatusNoticesTable.userId }),
  );
  const rows = await tx
    .with(marked)
    .select({ recipient: recipientsTable })
    .from(recipientsTable)
    .innerJoin(marked, eq(marked.userId, recipientsTable.userId))
    .where(isNull(recipientsTable.blockedAt))
    .orderBy(asc(recipientsTable.userId));
  return rows.map((row) => row.recipient);
}
