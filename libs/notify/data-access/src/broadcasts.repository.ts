import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbExecutor } from '@strongbox/shared-db';
import { broadcastsTable, notificationsTable, type BroadcastRow } from './notify.schema';

// ---------------------------------------------------------------------------------------------
// Broadcasts: the row holds the texts and the cursor (last user id enqueued), so whichever
// replica picks the broadcast up next continues after the last committed chunk.
// ---------------------------------------------------------------------------------------------

export const BroadcastStates = { enqueuing: 'enqueuing', sending: 'sending', completed: 'completed' } as const;

export interface BroadcastTexts {
  readonly en: string;
  readonly ru: string;
}

/** Inserts a broadcast unless its idempotency key exists; returns the row stored under the key either way. */
export async function insertBroadcast(
  tx: DbExecutor,
  broadcast: { id: string; adminId: string; idempotencyKey: string; texts: BroadcastTexts; recipientsTotal: number },
): Promise<{ row: BroadcastRow; created: boolean }> {
  const inserted = await tx
    .insert(broadcastsTable)
    .values({ ...broadcast, state: BroadcastStates.enqueuing })
    .onConflictDoNothing({ target: broadcastsTable.idempotencyKey })
    .returning();
  if (inserted[0]) return { row: inserted[0], created: true };
  const existing = await tx.select().from(broadcastsTable).where(eq(broadcastsTable.idempotencyKey, broadcast.idempotencyKey)).limit(1);
  if (!existing[0]) throw new Error(`broadcast with idempotency key ${broadcast.idempotencyKey} vanished`);
  return { row: existing[0], created: false };
}

/**
 * The oldest broadcast in `state`, locked for this transaction; another replica skips it and takes
 * the next, so two never enqueue the same chunk.
 */
export async function lockNextBroadcast(tx: DbExecutor, state: string): Promise<BroadcastRow | undefined> {
  const rows = await tx.select().from(broadcastsTable).where(eq(broadcastsTable.state, state)).orderBy(asc(broadcastsTable.createdAt)).limit(1).for('update', { skipLocked: true });
  return rows[0];
}

export async function advanceBroadcast(tx: DbExecutor, id: string, change: { cursorUserId: string | null; enqueuedMore: number; done: boolean }): Promise<BroadcastRow> {
  const rows = await tx
    .update(broadcastsTable)
    .set({
      cursorUserId: change.cursorUserId,
      enqueued: sql`${broadcastsTable.enqueued} + ${change.enqueuedMore}`,
      ...(change.done ? { state: BroadcastStates.sending } : {}),
    })
    .where(eq(broadcastsTable.id, id))
    .returning();
  if (!rows[0]) throw new Error(`broadcast ${id} vanished`);
  return rows[0];
}

export interface BroadcastOutcome {
  readonly open: number;
  readonly delivered: number;
  readonly blocked: number;
  readonly failed: number;
  readonly unconfirmed: number;
}

/** How the broadcast's queued messages stand; `open` counts those not yet in a final state. */
export async function broadcastOutcome(tx: DbExecutor, id: string): Promise<BroadcastOutcome> {
  const rows = await tx
    .select({ state: notificationsTable.state, count: sql<number>`count(*)::int` })
    .from(notificationsTable)
    .where(eq(notificationsTable.broadcastId, id))
    .groupBy(notificationsTable.state);
  const by = new Map(rows.map((row) => [row.state, row.count]));
  return {
    open: (by.get('pending') ?? 0) + (by.get('sending') ?? 0),
    delivered: by.get('delivered') ?? 0,
    blocked: by.get('blocked') ?? 0,
    failed: by.get('failed') ?? 0,
    unconfirmed: by.get('unconfirmed') ?? 0,
  };
}

export async function completeBroadcast(tx: DbExecutor, id: string): Promise<boolean> {
  const rows = await tx
    .update(broadcastsTable)
    .set({ state: BroadcastStates.completed, completedAt: sql`now()` })
    .where(and(eq(broadcastsTable.id, id), eq(broadcastsTable.state, BroadcastStates.sending)))
    .returning({ id: broadcastsTable.id });
  return rows.length > 0;
}

/** Every broadcast in `state`, oldest first (there are few: one per admin message). */
export async function broadcastsIn(tx: DbExecutor, state: string): Promise<BroadcastRow[]> {
  return tx.select().from(broadcastsTable).where(eq(broadcastsTable.state, state)).orderBy(asc(broadcastsTable.createdAt));
}
