import { and, eq } from 'drizzle-orm';
import { newId } from '@strongbox/shared-domain';
import { accountOpenedV1, eventSubject } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { AccountKinds, accountsTable, type AccountRow } from './ledger.schema';

/**
 * Opens a user's available account for each asset, in the caller's transaction, and puts
 * `ledger.evt.account.opened.v1` into the outbox when at least one account is new. Opening again
 * changes nothing and publishes nothing (unique index on user, asset, kind).
 */
export async function openUserAccounts(
  tx: DbExecutor,
  input: { namespace: string; userId: string; assets: readonly string[]; causationId: string },
): Promise<{ opened: AccountRow[] }> {
  const now = new Date();
  const opened = await tx
    .insert(accountsTable)
    .values(input.assets.map((asset) => ({ id: newId(), userId: input.userId, asset, kind: AccountKinds.userAvailable, createdAt: now })))
    .onConflictDoNothing({ target: [accountsTable.userId, accountsTable.asset, accountsTable.kind] })
    .returning();
  if (opened.length > 0) {
    const event = accountOpenedV1.create({
      source: 'strongbox/ledger',
      subject: input.userId,
      time: now,
      data: {
        userId: input.userId,
        accounts: opened.map((account) => ({ accountId: account.id, asset: account.asset })),
        openedAt: now.toISOString(),
      },
    });
    await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event, headers: { 'Strongbox-Causation-Id': input.causationId } }]);
  }
  return { opened };
}

/** The user's accounts, oldest first. */
export async function listUserAccounts(tx: DbExecutor, userId: string): Promise<AccountRow[]> {
  return tx.select().from(accountsTable).where(and(eq(accountsTable.userId, userId))).orderBy(accountsTable.createdAt);
}
