import { accountOpenedV1, nodeStatusChangedV1, supportRequestStatusChangedV1 } from '@strongbox/shared-contracts';
import type { DatabaseHandle, DbExecutor } from '@strongbox/shared-db';
import type { RuntimeConfig, ServiceContext } from '@strongbox/shared-runtime';
import {
  applyNodeStatus,
  enqueueNotifications,
  ENQUEUE_NOTIFICATIONS_MAX,
  markToldDown,
  markToldUp,
  NotificationPriority,
  recipientsWithPendingOperations,
  type NotificationInput,
  type RecipientRow,
} from '@strongbox/notify-data-access';
import { consumeEventsOnce } from './consume';
import { notificationId, notifyUser } from './notify-user';
import { Templates, type Texts } from './texts';

const info = NotificationPriority.info;

export interface UserConsumerOptions {
  /** A user told of a node outage is not told of another that starts within this long of it. */
  readonly nodeStatusQuietMs: number;
}

/**
 * The welcome, support request status, and node outage/recovery: `down` to users with pending
 * operations, damped per user and chain (node_status_notices), `up` to those told `down`.
 */
export async function startUserConsumers<TConfig extends RuntimeConfig>(
  context: ServiceContext<TConfig>,
  database: DatabaseHandle,
  texts: Texts,
  options: UserConsumerOptions,
): Promise<void> {
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
    { action: 'tell-node-status', description: 'Tells users with pending operations that the chain node went down, and those told so that it came back' },
    async (tx, event) => {
      const { data } = event;
      const changedAt = new Date(data.changedAt);
      // Delivery order is not guaranteed to this handler. The durable keeps one event in flight, but
      // an event given up on (dead-lettered) lets the later ones through and may be re-published
      // from the dead letters afterwards, and a stream replayed once the inbox rows are purged
      // brings old events again. Applying an older change after a newer one would tell users the
      // opposite of the node's state (an `up` while it is down), so an event not later than the
      // chain's last applied one is ignored; an equal one is the same change again. `changedAt`
      // orders them: the chain-watcher stamps it under its row lock on the node status.
      if (!(await applyNodeStatus(tx, { chainId: data.chainId, status: data.status, changedAt }))) return;

      const key = `node:${data.chainId}:${data.status}:${data.changedAt}`;
      if (data.status === 'down') {
        // Users waiting on an operation, unless already told of this outage or told of one that
        // began within the quiet period (a flapping node): one `down` per episode at most.
        const waiting = await recipientsWithPendingOperations(tx, data.chainId);
        for (let start = 0; start < waiting.length; start += ENQUEUE_NOTIFICATIONS_MAX) {
          const chunk = waiting.slice(start, start + ENQUEUE_NOTIFICATIONS_MAX);
          const userIds = chunk.map((recipient) => recipient.userId);
          const told = await markToldDown(tx, { chainId: data.chainId, changedAt, quietMs: options.nodeStatusQuietMs, userIds });
          await enqueueNodeNotices(tx, key, Templates.nodeDown, event.id, chunk.filter((recipient) => told.has(recipient.userId)));
        }
        return;
      }
      // `up`: exactly the users told it was down, whether or not they still wait on something.
      const told = await markToldUp(tx, data.chainId);
      for (let start = 0; start < told.length; start += ENQUEUE_NOTIFICATIONS_MAX) {
        await enqueueNodeNotices(tx, key, Templates.nodeUp, event.id, told.slice(start, start + ENQUEUE_NOTIFICATIONS_MAX));
      }
    },
  );

  type NodeTemplate = typeof Templates.nodeDown | typeof Templates.nodeUp;
  async function enqueueNodeNotices(tx: DbExecutor, key: string, template: NodeTemplate, causationId: string, recipients: readonly RecipientRow[]) {
    const items: NotificationInput[] = recipients.map((recipient) => {
      const languageCode = recipient.languageCode === 'ru' ? 'ru' : 'en';
      const { text, entities } = template === Templates.nodeDown ? texts.nodeDown(languageCode) : texts.nodeUp(languageCode);
      return {
        id: notificationId(`${key}:${recipient.userId}`, template),
        userId: recipient.userId,
        chatId: recipient.chatId,
        priority: info,
        template,
        languageCode,
        text,
        entities,
        causationId,
      };
    });
    if (items.length > 0) await enqueueNotifications(tx, items);
  }
}
