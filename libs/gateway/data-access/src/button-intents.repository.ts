import { and, asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { DbExecutor } from '@strongbox/shared-db';
import { buttonIntentsTable } from './gateway.schema';

// Claims of "once" buttons. The intent id is the primary key, so of two presses of the same button
// (two updates, maybe handled concurrently) exactly one insert succeeds. `outcome` is SQL NULL
// while the first press runs and `{ "value": <what it answered> }` once it finished, so a handler
// that answers nothing is still told apart from one still running.

export type ButtonIntentClaim =
  | { readonly claimed: true }
  /** Pressed before: `outcome` is what the first press answered; `finished` false while it still runs. */
  | { readonly claimed: false; readonly action: string; readonly finished: boolean; readonly outcome: unknown };

/** Claims `intentId` for `action` unless it was claimed before. */
export async function claimButtonIntent(
  db: DbExecutor,
  input: { readonly intentId: string; readonly telegramUserId: bigint; readonly action: string },
): Promise<ButtonIntentClaim> {
  const inserted = await db
    .insert(buttonIntentsTable)
    .values({ intentId: input.intentId, telegramUserId: input.telegramUserId, action: input.action, outcome: sql`null`, usedAt: new Date() })
    .onConflictDoNothing({ target: buttonIntentsTable.intentId })
    .returning({ intentId: buttonIntentsTable.intentId });
  if (inserted.length > 0) return { claimed: true };
  const rows = await db
    .select({ action: buttonIntentsTable.action, outcome: buttonIntentsTable.outcome })
    .from(buttonIntentsTable)
    .where(eq(buttonIntentsTable.intentId, input.intentId))
    .limit(1);
  const row = rows[0];
  // Released between the conflict and the read: the other press failed; this one may not run
  // either, it is simply answered as pressed before (the user can open the menu again).
  const stored = row?.outcome as { value?: unknown } | null | undefined;
  return { claimed: false, action: row?.action ?? input.action, finished: Boolean(stored), outcome: stored?.value ?? null };
}

/** Stores what a claimed button did, to show on a repeated press. */
export async function recordButtonOutcome(db: DbExecutor, intentId: string, outcome: unknown): Promise<void> {
  await db
    .update(buttonIntentsTable)
    .set({ outcome: sql`${JSON.stringify({ value: outcome ?? null })}::jsonb` })
    .where(and(eq(buttonIntentsTable.intentId, intentId), isNull(buttonIntentsTable.outcome)));
}

/** Gives a claim back after its handler failed, so the redelivered update can try again. */
export async function releaseButtonIntent(db: DbExecutor, intentId: string): Promise<void> {
  await db.delete(buttonIntentsTable).where(and(eq(buttonIntentsTable.intentId, intentId), isNull(buttonIntentsTable.outcome)));
}

/** The claim of `intentId`, if the button was pressed before. */
export async function findButtonIntent(
  db: DbExecutor,
  intentId: string,
): Promise<{ readonly action: string; readonly finished: boolean; readonly outcome: unknown } | undefined> {
  const rows = await db
    .select({ action: buttonIntentsTable.action, outcome: buttonIntentsTable.outcome })
    .from(buttonIntentsTable)
    .where(eq(buttonIntentsTable.intentId, intentId))
    .limit(1);
  const row = rows[0];
  if (!row) return undefined;
  const stored = row.outcome as { value?: unknown } | null;
  return { action: row.action, finished: Boolean(stored), outcome: stored?.value ?? null };
}

/** Rows one purge statement deletes at most. */
export const BUTTON_INTENT_PURGE_CHUNK_MAX = 5_000;

/**
 * Deletes up to `limit` intents claimed more than `olderThanMs` ago (by PostgreSQL's clock),
 * oldest first; returns how many. Safe only when `olderThanMs` exceeds the age from which the
 * buttons are refused as expired (ADR 17): the press that claimed an intent came after its buttons
 * were made, so every button that could claim it again is refused before its row goes.
 */
export async function purgeButtonIntents(db: DbExecutor, olderThanMs: number, limit: number): Promise<number> {
  if (!Number.isSafeInteger(olderThanMs) || olderThanMs < 1) throw new RangeError(`purgeButtonIntents: olderThanMs must be a positive integer, got ${olderThanMs}`);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > BUTTON_INTENT_PURGE_CHUNK_MAX) {
    throw new RangeError(`purgeButtonIntents: limit must be 1..${BUTTON_INTENT_PURGE_CHUNK_MAX}, got ${limit}`);
  }
  const old = lt(buttonIntentsTable.usedAt, sql`now() - ${olderThanMs}::double precision * interval '1 millisecond'`);
  const candidates = db
    .select({ intentId: buttonIntentsTable.intentId })
    .from(buttonIntentsTable)
    .where(old)
    .orderBy(asc(buttonIntentsTable.usedAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  const deleted = await db
    .delete(buttonIntentsTable)
    .where(and(inArray(buttonIntentsTable.intentId, candidates), old))
    .returning({ intentId: buttonIntentsTable.intentId });
  return deleted.length;
}
