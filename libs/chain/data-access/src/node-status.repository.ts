import { eq } from 'drizzle-orm';
import { eventSubject, nodeStatusChangedV1 } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { nodeStatusTable } from './chain.schema';

/**
 * Records the node's status; only a change of status (not of head block) publishes
 * `chain.evt.node.status-changed.v1`, in the same transaction.
 */
export async function recordNodeStatus(
  tx: DbExecutor,
  input: { namespace: string; chainId: number; status: 'up' | 'down'; headBlock: number | null; reason: string | null },
): Promise<{ changed: boolean }> {
  const now = new Date();
  const current = await tx.select().from(nodeStatusTable).where(eq(nodeStatusTable.chainId, input.chainId)).for('update').limit(1);
  const previous = current[0];
  if (previous && previous.status === input.status) {
    if (input.headBlock !== null) {
      await tx.update(nodeStatusTable).set({ headBlock: input.headBlock }).where(eq(nodeStatusTable.chainId, input.chainId));
    }
    return { changed: false };
  }
  await tx
    .insert(nodeStatusTable)
    .values({ chainId: input.chainId, status: input.status, headBlock: input.headBlock, changedAt: now })
    .onConflictDoUpdate({ target: nodeStatusTable.chainId, set: { status: input.status, headBlock: input.headBlock, changedAt: now } });
  const event = nodeStatusChangedV1.create({
    source: 'strongbox/chain-watcher',
    subject: String(input.chainId),
    time: now,
    data: { chainId: input.chainId, status: input.status, headBlock: input.headBlock, reason: input.reason, changedAt: now.toISOString() },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event }]);
  return { changed: true };
}
