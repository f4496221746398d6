import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { eventSubject, userBlacklistChangedV1, type blacklistUserV1 } from '@strongbox/shared-contracts';
import { enqueueEvents, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import { userBlacklistTable, type UserBlacklistRow } from '@strongbox/ledger-data-access';
import { asCommandError } from './command.decisions';

// ---------------------------------------------------------------------------------------------
// The user blacklist: admins list a user (or lift it) with a reason. The withdrawal policy reads
// it as the fraud fact "user blacklisted" inside the transaction that places the holds, and the
// auto-approval job reads it again before approving a held withdrawal.
// ---------------------------------------------------------------------------------------------

type Wire<C extends { response: z.ZodType }> = z.input<C['response']>;
type Request<C extends { request: z.ZodType }> = z.output<C['request']>;

const ISOLATION = 'read committed' as const;

/** Whether an admin has the user on the blacklist now. */
export async function isBlacklisted(tx: DbExecutor, userId: string): Promise<boolean> {
  const [row] = await tx
    .select({ userId: userBlacklistTable.userId })
    .from(userBlacklistTable)
    .where(and(eq(userBlacklistTable.userId, userId), eq(userBlacklistTable.blacklisted, true)));
  return row !== undefined;
}

function entryWire(row: UserBlacklistRow, changed: boolean): Wire<typeof blacklistUserV1> {
  return { userId: row.userId, blacklisted: row.blacklisted, reason: row.reason, adminId: row.adminId, updatedAt: row.updatedAt.toISOString(), changed };
}

/** The blacklist command; the service wires it to `ledger.cmd.blacklist-user.v1`. */
export function createBlacklistOperations(options: { database: DatabaseHandle; namespace: string; logger: Logger; now?: () => Date }) {
  const { database, namespace, logger } = options;
  const now = options.now ?? (() => new Date());
  return {
    /**
     * Lists or lifts a user and publishes `user blacklist changed` when the state changed. Setting the state the user already has answers the stored entry with
     * `changed: false` and keeps the admin and reason of the change that made it, so a retry is safe.
     */
    async blacklistUser(request: Request<typeof blacklistUserV1>): Promise<Wire<typeof blacklistUserV1>> {
      return database.db
        .transaction(
          async (tx) => {
            const [current] = await tx.select().from(userBlacklistTable).where(eq(userBlacklistTable.userId, request.userId)).for('update');
            if (current && current.blacklisted === request.blacklisted) return entryWire(current, false);
            // A user never listed is not listed: lifting it records the admin's statement, but changes nothing.
            const changed = current !== undefined || request.blacklisted;
            const values = { userId: request.userId, blacklisted: request.blacklisted, reason: request.reason, adminId: request.adminId, updatedAt: now() };
            const [row] = await tx
              .insert(userBlacklistTable)
              .values(values)
              .onConflictDoUpdate({ target: userBlacklistTable.userId, set: { blacklisted: values.blacklisted, reason: values.reason, adminId: values.adminId, updatedAt: values.updatedAt } })
              .returning();
            if (!row) throw new Error('upsert into user_blacklist returned no row');
            if (changed) {
              // Admin-audit keeps the trail from this event, committed with the change.
              const event = userBlacklistChangedV1.create({
                source: 'strongbox/ledger',
                subject: row.userId,
                time: row.updatedAt,
                data: { userId: row.userId, blacklisted: row.blacklisted, reason: row.reason, adminId: row.adminId, changedAt: row.updatedAt.toISOString() },
              });
              await enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event, headers: { 'Strongbox-Causation-Id': `blacklist-user:${row.userId}` } }]);
              logger.warn({ userId: row.userId, blacklisted: row.blacklisted, adminId: row.adminId, reason: row.reason }, row.blacklisted ? 'user blacklisted' : 'user removed from the blacklist');
            }
            return entryWire(row, changed);
          },
          { isolationLevel: ISOLATION },
        )
        .catch(asCommandError);
    },
  };
}

export type BlacklistOperations = ReturnType<typeof createBlacklistOperations>;
