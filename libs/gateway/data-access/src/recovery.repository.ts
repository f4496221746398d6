import { and, eq } from 'drizzle-orm';
import { eventSubject, recoveryDecidedV1, recoveryRequestedV1 } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { GatewayError, GatewayErrorCodes } from './errors';
import { recoveryRequestsTable, usersTable, type RecoveryRequestRow } from './gateway.schema';
import { hashNewRecoveryCode, hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from './recovery.code';

/** Gives the user a new one-time recovery code (the old one stops working); returns it to show once. */
export async function issueRecoveryCode(tx: DbExecutor, userId: string): Promise<string> {
  const code = newRecoveryCode();
  const updated = await tx
    .update(usersTable)
    .set({ recoveryCodeHash: hashNewRecoveryCode(code), updatedAt: new Date() })
    .where(eq(usersTable.id, userId))
    .returning({ id: usersTable.id });
  if (updated.length === 0) throw new GatewayError(GatewayErrorCodes.notFound, `no user ${userId}`);
  return code;
}

export interface RequestRecoveryInput {
  readonly namespace: string;
  readonly code: string;
  readonly newTelegramUserId: bigint;
  readonly newChatId: bigint;
}

/**
 * A recovery request from a Telegram account that is not a user yet, for the user whose code it
 * is. Asking again while one is pending answers that one. Nothing moves until an admin approves.
 */
export async function requestRecovery(tx: DbExecutor, input: RequestRecoveryInput): Promise<{ request: RecoveryRequestRow; created: boolean }> {
  const canonical = normalizeRecoveryCode(input.code);
  if (canonical === null) throw new GatewayError(GatewayErrorCodes.recoveryCodeInvalid, 'not a recovery code');
  const [asking] = await tx.select({ id: usersTable.id }).from(usersTable).where(eq(usersTable.telegramUserId, input.newTelegramUserId));
  if (asking) throw new GatewayError(GatewayErrorCodes.recoveryAccountRegistered, 'this Telegram account already has a wallet');
  const [user] = await tx.select().from(usersTable).where(eq(usersTable.recoveryCodeHash, hashRecoveryCode(canonical))).for('update');
  if (!user) throw new GatewayError(GatewayErrorCodes.recoveryCodeInvalid, 'unknown or spent recovery code');

  const [pending] = await tx
    .select()
    .from(recoveryRequestsTable)
    .where(and(eq(recoveryRequestsTable.userId, user.id), eq(recoveryRequestsTable.status, 'pending')));
  if (pending) {
    if (pending.newTelegramUserId !== input.newTelegramUserId) {
      throw new GatewayError(GatewayErrorCodes.recoveryConflict, 'another account already asked to recover this wallet');
    }
    return { request: pending, created: false };
  }
  const now = new Date();
  const [request] = await tx
    .insert(recoveryRequestsTable)
    .values({ id: newId(), userId: user.id, newTelegramUserId: input.newTelegramUserId, newChatId: input.newChatId, status: 'pending', createdAt: now })
    .returning();
  if (!request) throw new Error('insert returned no row');
  const event = recoveryRequestedV1.create({
    source: 'strongbox/bot-gateway',
    subject: request.id,
    time: now,
    data: {
      requestId: request.id,
      userId: user.id,
      newTelegramUserId: input.newTelegramUserId.toString(),
      newChatId: input.newChatId.toString(),
      requestedAt: now.toISOString(),
    },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event }]);
  return { request, created: true };
}

export interface DecideRecoveryInput {
  readonly namespace: string;
  readonly requestId: string;
  readonly decision: 'approved' | 'rejected';
  readonly adminId: string;
  readonly reason: string | null;
}

/**
 * An admin's decision. Approval moves the user to the new Telegram account and spends the code,
 * in one transaction with the event; the same decision again answers `changed: false`.
 */
export async function decideRecovery(tx: DbExecutor, input: DecideRecoveryInput): Promise<{ request: RecoveryRequestRow; changed: boolean }> {
  const [request] = await tx.select().from(recoveryRequestsTable).where(eq(recoveryRequestsTable.id, input.requestId)).for('update');
  if (!request) throw new GatewayError(GatewayErrorCodes.notFound, `no recovery request ${input.requestId}`);
  if (request.status !== 'pending') {
    if (request.status === input.decision) return { request, changed: false };
    throw new GatewayError(GatewayErrorCodes.alreadyDecided, `the request was already ${request.status}`);
  }
  const [user] = await tx.select().from(usersTable).where(eq(usersTable.id, request.userId)).for('update');
  if (!user) throw new GatewayError(GatewayErrorCodes.notFound, `no user ${request.userId}`);
  const now = new Date();
  if (input.decision === 'approved') {
    const [taken] = await tx.select({ id: usersTable.id }).from(usersTable).where(eq(usersTable.telegramUserId, request.newTelegramUserId));
    if (taken) throw new GatewayError(GatewayErrorCodes.recoveryConflict, 'the new Telegram account has become a user meanwhile');
    await tx
      .update(usersTable)
      .set({ telegramUserId: request.newTelegramUserId, chatId: request.newChatId, recoveryCodeHash: null, updatedAt: now })
      .where(eq(usersTable.id, user.id));
  }
  const [decided] = await tx
    .update(recoveryRequestsTable)
    .set({ status: input.decision, adminId: input.adminId, reason: input.reason, decidedAt: now })
    .where(eq(recoveryRequestsTable.id, request.id))
    .returning();
  if (!decided) throw new Error('update returned no row');
  const event = recoveryDecidedV1.create({
    source: 'strongbox/bot-gateway',
    subject: request.id,
    time: now,
    data: {
      requestId: request.id,
      userId: user.id,
      decision: input.decision,
      newTelegramUserId: request.newTelegramUserId.toString(),
      newChatId: request.newChatId.toString(),
      previousChatId: user.chatId.toString(),
      adminId: input.adminId,
      reason: input.reason,
      decidedAt: now.toISOString(),
    },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event }]);
  return { request: decided, changed: true };
}
