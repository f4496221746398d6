import { accountOpenedV1, nodeStatusChangedV1, supportRequestStatusChangedV1 } from '@strongbox/shared-contracts';
import type { DatabaseHandle } from '@strongbox/shared-db';
import type { RuntimeConfig, ServiceContext } from '@strongbox/shared-runtime';
import { enqueueNotifications, ENQUEUE_NOTIFICATIONS_MAX, NotificationPriority, recipientsWithPendingOperations, type NotificationInput } from '@strongbox/notify-data-access';
import { consumeEventsOnce } from './consume';
import { notificationId, notifyUser } from './notify-user';
import { Templates, type Texts } from './texts';

const info = NotificationPriority.info;

/** The welcome, support request status, and node outage/recovery (to users with pending operations). */
export async function startUserConsumers<TConfig extends RuntimeConfig>(context: ServiceContext<TConfig>, database: DatabaseHandle, texts: Texts): Promise<void> {
  await consumeEventsOnce(
    context,
    database,
    [accountOpenedV1],
    { action: 'welcome', description: 'Welcomes a user whose accounts the ledger opened' },
    (tx, event) =>
      notifyUser(tx, {
        userId: event.data.userId,
        key: `user:${event.data.userId}`,
        template: Templates.welcome,
        priority: info,
        causationId: event.id,
        text: (locale) => texts.welcome(locale),
      }),
  );

  await consumeEventsOnce(
    context,
    database,
    [supportRequestStatusChangedV1],
    { action: 'tell-support-status', description: 'Tells users when an admin moves their support request' },
    async (tx, event) => {
      const { data } = event;
      // The user opened or cancelled it and saw the bot's answer; only an admin's change is news.
      if (data.adminId === null) return;
      await notifyUser(tx, {
        userId: data.userId,
        key: `support:${data.requestId}:${data.to}`,
        template: Templates.supportStatus,
        priority: info,
        causationId: event.id,
        text: (locale) => texts.supportStatus(locale, { requestId: data.requestId, category: data.category, status: data.to }),
      });
    },
  );

  await consumeEventsOnce(
    context,
    database,
    [nodeStatusChangedV1],
    { action: 'tell-node-status', description: 'Tells users with pending operations that the chain node went down or came back' },
    async (tx, event) => {
      const { data } = event;
      const template = data.status === 'down' ? Templates.nodeDown : Templates.nodeUp;
      const key = `node:${data.chainId}:${data.status}:${data.changedAt}`;
      const recipients = await recipientsWithPendingOperations(tx, data.chainId);
      const items: NotificationInput[] = recipients.map((recipient) => {
        const languageCode = recipient.languageCode === 'ru' ? 'ru' : 'en';
        const { text, entities } = data.status === 'down' ? texts.nodeDown(languageCode) : texts.nodeUp(languageCode);
        return {
          id: notificationId(`${key}:${recipient.userId}`, template),
          userId: recipient.userId,
          chatId: recipient.chatId,
          priority: info,
          template,
          languageCode,
          text,
          entities,
          causationId: event.id,
        };
      });
      for (let start = 0; start < items.length; start += ENQUEUE_NOTIFICATIONS_MAX) {
        await enqueueNotifications(tx, items.slice(start, start + ENQUEUE_NOTIFICATIONS_MAX));
      }
    },
  );
}
