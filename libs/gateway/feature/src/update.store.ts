import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { telegramUpdateSubject } from '@strongbox/shared-contracts';
import type { Update } from 'grammy/types';

// ---------------------------------------------------------------------------------------------
// Storing a Telegram update in the ingress stream: one subject per chat partition, one message id
// per (bot, update id), so every ingress (webhook, long polling, a re-send by Telegram) stores an
// update once within the stream's duplicate window; past it, the workers' inbox de-duplicates.
// ---------------------------------------------------------------------------------------------

/** The chat an update belongs to, for per-chat ordering; `undefined` for chat-less updates. */
export function chatIdOfUpdate(update: Update): number | undefined {
  const chat =
    update.message?.chat ??
    update.edited_message?.chat ??
    update.callback_query?.message?.chat ??
    update.my_chat_member?.chat ??
    update.chat_member?.chat ??
    update.channel_post?.chat;
  if (chat) return chat.id;
  return (
    update.message?.from?.id ??
    update.callback_query?.from.id ??
    update.inline_query?.from.id ??
    update.pre_checkout_query?.from.id
  );
}

/** Partition of an update: all updates of one chat land in one partition, so they stay ordered. */
export function partitionOfUpdate(update: Update, partitions: number): number {
  const chatId = chatIdOfUpdate(update);
  if (chatId === undefined) return 0;
  return Math.abs(chatId) % partitions;
}

/** Message id that makes a re-published update a duplicate: bot id plus Telegram's update id. */
export function updateMessageId(botId: number, update: Pick<Update, 'update_id'>): string {
  return `tg:${botId}:${update.update_id}`;
}

export interface UpdateStore {
  /**
   * Stores one update and resolves once JetStream acknowledged it (`duplicate` when the stream
   * already had it). Rejects when NATS does not confirm within the store's time limit; the update
   * may then still be stored later, which a re-send de-duplicates.
   */
  store(update: Update): Promise<PubAck>;
}

/**
 * Stores updates in `<ns>.tg.updates.<partition>` with msgID `tg:<bot id>:<update id>`.
 *
 * @example
 * const updates = createUpdateStore({ js, namespace, partitions: 16, botId, timeoutMs: 2_000 });
 * await updates.store(update); // only now may Telegram be told the update was received
 */
export function createUpdateStore(options: {
  js: JetStreamClient;
  namespace: string;
  partitions: number;
  botId: number;
  timeoutMs: number;
}): UpdateStore {
  const { js, namespace, partitions, botId, timeoutMs } = options;
  return {
    async store(update) {
      const subject = telegramUpdateSubject(namespace, partitionOfUpdate(update, partitions));
      // One attempt (nats.js counts attempts as `retries`): the caller (Telegram, or the poll loop)
      // tries again, and a hidden second attempt would stretch the bounded time the webhook promises.
      return await js.publish(subject, JSON.stringify(update), { msgID: updateMessageId(botId, update), timeout: timeoutMs, retries: 1 });
    },
  };
}
