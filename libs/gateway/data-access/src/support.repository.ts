import { desc, eq } from 'drizzle-orm';
import {
  eventSubject,
  supportRequestStatusChangedV1,
  type SupportRequestCategory,
  type SupportRequestStatus,
} from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { GatewayError, GatewayErrorCodes } from './errors';
import { supportRequestsTable, type SupportRequestRow } from './gateway.schema';
import { supportRequestMachine } from './support.machine';
import { userText } from './text.rules';

export const SUPPORT_DESCRIPTION_LENGTH = { min: 10, max: 2_000 } as const;
export const SUPPORT_CONTACT_LENGTH = { min: 1, max: 200 } as const;
/** Most requests one list shows. */
export const SUPPORT_REQUESTS_LISTED_MAX = 20;

export interface OpenSupportRequestInput {
  readonly namespace: string;
  readonly userId: string;
  readonly category: SupportRequestCategory;
  readonly description: string;
  readonly contact: string | null;
}

async function publishStatusChange(
  tx: DbExecutor,
  namespace: string,
  row: SupportRequestRow,
  from: SupportRequestStatus | null,
  adminId: string | null,
  at: Date,
): Promise<void> {
  const event = supportRequestStatusChangedV1.create({
    source: 'strongbox/bot-gateway',
    subject: row.id,
    time: at,
    data: {
      requestId: row.id,
      userId: row.userId,
      category: row.category as SupportRequestCategory,
      from,
      to: row.status as SupportRequestStatus,
      adminId,
      changedAt: at.toISOString(),
    },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event }]);
}

/** Opens a request in status `new` and publishes the change from `null`. Bad text changes nothing. */
export async function openSupportRequest(tx: DbExecutor, input: OpenSupportRequestInput): Promise<SupportRequestRow> {
  const description = userText('description', input.description, SUPPORT_DESCRIPTION_LENGTH);
  const contact = input.contact === null ? null : userText('contact', input.contact, SUPPORT_CONTACT_LENGTH);
  const now = new Date();
  const [row] = await tx
    .insert(supportRequestsTable)
    .values({ id: newId(), userId: input.userId, category: input.category, description, contact, status: supportRequestMachine.initial, createdAt: now, updatedAt: now })
    .returning();
  if (!row) throw new Error('insert returned no row');
  await publishStatusChange(tx, input.namespace, row, null, null, now);
  return row;
}

export interface ChangeSupportStatusInput {
  readonly namespace: string;
  readonly requestId: string;
  readonly to: SupportRequestStatus;
  /** The admin making the change; null when the user does (cancelling). */
  readonly adminId: string | null;
  /** When the user acts: the request must be theirs. */
  readonly userId?: string;
}

/**
 * Moves a request along its lifecycle under a row lock. The status it already has answers
 * `changed: false`; a change the machine does not allow is refused (BOT_ERR_TRANSITION_REFUSED).
 */
export async function changeSupportStatus(tx: DbExecutor, input: ChangeSupportStatusInput): Promise<{ row: SupportRequestRow; changed: boolean }> {
  const [current] = await tx.select().from(supportRequestsTable).where(eq(supportRequestsTable.id, input.requestId)).for('update');
  if (!current || (input.userId !== undefined && current.userId !== input.userId)) {
    throw new GatewayError(GatewayErrorCodes.notFound, `no support request ${input.requestId}`);
  }
  const from = current.status as SupportRequestStatus;
  if (from === input.to) return { row: current, changed: false };
  const result = supportRequestMachine.transition(from, input.to);
  if (!result.ok) throw new GatewayError(GatewayErrorCodes.transitionRefused, `a support request cannot go from ${from} to ${input.to}`, { cause: result.error });
  const now = new Date();
  const [row] = await tx
    .update(supportRequestsTable)
    .set({ status: input.to, updatedAt: now })
    .where(eq(supportRequestsTable.id, input.requestId))
    .returning();
  if (!row) throw new Error('update returned no row');
  await publishStatusChange(tx, input.namespace, row, from, input.adminId, now);
  return { row, changed: true };
}

/** A user's latest requests, newest first. */
export async function listSupportRequests(tx: DbExecutor, userId: string, limit = SUPPORT_REQUESTS_LISTED_MAX): Promise<SupportRequestRow[]> {
  return tx
    .select()
    .from(supportRequestsTable)
    .where(eq(supportRequestsTable.userId, userId))
    .orderBy(desc(supportRequestsTable.createdAt), desc(supportRequestsTable.id))
    .limit(Math.min(limit, SUPPORT_REQUESTS_LISTED_MAX));
}
