import { eq } from 'drizzle-orm';
import { newId } from '@strongbox/shared-domain';
import { eventSubject, messageDeliveredV1, type LanguageCode } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { deliveriesTable, recipientsTable, type RecipientRow } from './notify.schema';

/** Records (or updates) where and in which language a user is reached. */
export async function upsertRecipient(
  tx: DbExecutor,
  recipient: { userId: string; chatId: bigint; languageCode: LanguageCode },
): Promise<void> {
  const now = new Date();
  await tx
    .insert(recipientsTable)
    .values({ ...recipient, updatedAt: now })
    .onConflictDoUpdate({ target: recipientsTable.userId, set: { chatId: recipient.chatId, languageCode: recipient.languageCode, updatedAt: now } });
}

export async function findRecipient(tx: DbExecutor, userId: string): Promise<RecipientRow | undefined> {
  const rows = await tx.select().from(recipientsTable).where(eq(recipientsTable.userId, userId)).limit(1);
  return rows[0];
}

/** Records a sent message and puts `notify.evt.message.delivered.v1` into the outbox. */
export async function recordDelivery(
  tx: DbExecutor,
  delivery: { namespace: string; recipient: RecipientRow; template: string; causationId: string; telegramMessageId: number },
): Promise<void> {
  const now = new Date();
  await tx.insert(deliveriesTable).values({
    id: newId(),
    userId: delivery.recipient.userId,
    template: delivery.template,
    causationId: delivery.causationId,
    telegramMessageId: delivery.telegramMessageId,
    deliveredAt: now,
  });
  const event = messageDeliveredV1.create({
    source: 'strongbox/notifier',
    subject: delivery.recipient.userId,
    time: now,
    data: {
      userId: delivery.recipient.userId,
      chatId: delivery.recipient.chatId.toString(),
      template: delivery.template,
      languageCode: delivery.recipient.languageCode as LanguageCode,
      telegramMessageId: delivery.telegramMessageId,
      causationId: delivery.causationId,
    },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(delivery.namespace, event.type), event }]);
}
