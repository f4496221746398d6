import { recoveryDecidedV1, userLanguageChangedV1, userRegisteredV1 } from '@strongbox/shared-contracts';
import type { DatabaseHandle } from '@strongbox/shared-db';
import { consumeEventOnce, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { registerRecipient, updateRecipient } from '@strongbox/notify-data-access';
import { consumeEventsOnce, RecipientNotKnownError } from './consume';
import { notifyUser } from './notify-user';
import { Templates, type Texts } from './texts';

/**
 * The recipients read model, from bot-gateway events only: registration, language changes and
 * approved recoveries (the user is reached at the new chat). Hearing from a user clears `blocked_at`.
 * Recovery decisions are also told to both chats, from the same transaction that moves the chat.
 */
export async function startReadModelConsumers<TConfig extends RuntimeConfig>(
  context: ServiceContext<TConfig>,
  database: DatabaseHandle,
  texts: Texts,
): Promise<void> {
  await consumeEventOnce(context, database, userRegisteredV1, { action: 'track-recipient', description: 'Keeps chat id and language of every user' }, (tx, event) =>
    registerRecipient(tx, { userId: event.data.userId, chatId: BigInt(event.data.chatId), languageCode: event.data.languageCode }),
  );

  await consumeEventsOnce(
    context,
    database,
    [userLanguageChangedV1],
    { action: 'track-language', description: 'Speaks to each user in the language they chose last' },
    async (tx, event) => {
      if (!(await updateRecipient(tx, event.data.userId, { languageCode: event.data.languageCode }))) throw new RecipientNotKnownError(event.data.userId);
    },
  );

  await consumeEventsOnce(
    context,
    database,
    [recoveryDecidedV1],
    { action: 'tell-recovery', description: 'Moves a recovered user to the new chat and tells both chats of the decision' },
    async (tx, event) => {
      const { data } = event;
      const key = `recovery:${data.requestId}`;
      const newChatId = BigInt(data.newChatId);
      const previousChatId = BigInt(data.previousChatId);
      const common = { userId: data.userId, key, priority: 2 as const, causationId: event.id };
      if (data.decision === 'approved') {
        if (!(await updateRecipient(tx, data.userId, { chatId: newChatId }))) throw new RecipientNotKnownError(data.userId);
        await notifyUser(tx, { ...common, template: Templates.recoveryApprovedNew, text: (locale) => texts.recoveryApprovedNew(locale) });
        await notifyUser(tx, {
          ...common,
          template: Templates.recoveryApprovedPrevious,
          chatId: previousChatId,
          text: (locale) => texts.recoveryApprovedPrevious(locale),
        });
        return;
      }
      await notifyUser(tx, {
        ...common,
        template: Templates.recoveryRejectedNew,
        chatId: newChatId,
        text: (locale) => texts.recoveryRejectedNew(locale, { reason: data.reason }),
      });
      await notifyUser(tx, {
        ...common,
        template: Templates.recoveryRejectedPrevious,
        chatId: previousChatId,
        text: (locale) => texts.recoveryRejectedPrevious(locale),
      });
    },
  );
}
