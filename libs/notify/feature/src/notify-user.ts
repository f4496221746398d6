import type { LanguageCode } from '@strongbox/shared-contracts';
import type { DbExecutor } from '@strongbox/shared-db';
import { enqueueNotifications, NotificationPriority, recipientOf, type NotificationInput } from '@strongbox/notify-data-access';
import { RecipientNotKnownError } from './consume';
import type { RenderedText } from './render';
import type { Template } from './texts';

export interface UserNotification {
  readonly userId: string;
  /**
   * Stable for the cause: the business key where the contract has one (a deposit's chain position,
   * a withdrawal id), so a copy re-published under a new event id still finds the same row.
   */
  readonly key: string;
  readonly template: Template;
  readonly priority: typeof NotificationPriority.money | typeof NotificationPriority.info;
  readonly causationId: string;
  readonly text: (locale: LanguageCode) => RenderedText;
  /** Another chat than the user's current one (the previous chat after a recovery); the row then names no user. */
  readonly chatId?: bigint;
}

export function notificationId(key: string, template: Template): string {
  return `${key}:${template}`;
}

/**
 * Renders in the recipient's language and enqueues, in the caller's transaction. Throws
 * RecipientNotKnownError when the user has not registered in the read model yet. Returns how many
 * rows were new (0 for a redelivered cause).
 */
export async function notifyUser(tx: DbExecutor, notification: UserNotification): Promise<number> {
  const recipient = await recipientOf(tx, notification.userId);
  if (!recipient) throw new RecipientNotKnownError(notification.userId);
  const languageCode: LanguageCode = recipient.languageCode === 'ru' ? 'ru' : 'en';
  const { text, entities } = notification.text(languageCode);
  const item: NotificationInput = {
    id: notificationId(notification.key, notification.template),
    userId: notification.chatId === undefined ? recipient.userId : null,
    chatId: notification.chatId ?? recipient.chatId,
    priority: notification.priority,
    template: notification.template,
    languageCode,
    text,
    entities,
    causationId: notification.causationId,
  };
  return enqueueNotifications(tx, [item]);
}
