import { eq } from 'drizzle-orm';
import { newId } from '@strongbox/shared-domain';
import { eventSubject, userRegisteredV1, type LanguageCode } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { usersTable, type UserRow } from './gateway.schema';

export interface RegisterUserInput {
  readonly namespace: string;
  readonly telegramUserId: bigint;
  readonly chatId: bigint;
  readonly languageCode: LanguageCode;
  readonly referralCode: string | null;
}

export type RegisterUserResult = { readonly created: true; readonly user: UserRow } | { readonly created: false; readonly user: UserRow };

/**
 * Registers a Telegram user once. In the caller's transaction: inserts the user (a unique index on
 * the Telegram id makes a concurrent or repeated /start a no-op) and, only when the row is new,
 * puts `bot.evt.user.registered.v1` into the outbox.
 */
export async function registerUser(tx: DbExecutor, input: RegisterUserInput): Promise<RegisterUserResult> {
  const now = new Date();
  const inserted = await tx
    .insert(usersTable)
    .values({
      id: newId(),
      telegramUserId: input.telegramUserId,
      chatId: input.chatId,
      languageCode: input.languageCode,
      referralCode: input.referralCode,
      createdAt: now,
    })
    .onConflictDoNothing({ target: usersTable.telegramUserId })
    .returning();
  const created = inserted[0];
  if (created) {
    const event = userRegisteredV1.create({
      source: 'strongbox/bot-gateway',
      subject: created.id,
      time: now,
      data: {
        userId: created.id,
        telegramUserId: created.telegramUserId.toString(),
        chatId: created.chatId.toString(),
        languageCode: input.languageCode,
        referralCode: created.referralCode,
        registeredAt: now.toISOString(),
      },
    });
    await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event }]);
    return { created: true, user: created };
  }
  const existing = await tx.select().from(usersTable).where(eq(usersTable.telegramUserId, input.telegramUserId)).limit(1);
  const user = existing[0];
  if (!user) throw new Error('user vanished between conflict and read');
  return { created: false, user };
}
