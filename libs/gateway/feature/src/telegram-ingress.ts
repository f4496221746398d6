import { setTimeout as sleep } from 'node:timers/promises';
import type { JetStreamClient } from '@nats-io/jetstream';
import { telegramUpdateSubject } from '@strongbox/shared-contracts';
import type { Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';

// ---------------------------------------------------------------------------------------------
// Long-polling ingress: Telegram → JetStream, before Telegram is told the update was received.
//
// grammY's own poller confirms an update (by asking for the next offset) whether or not handling
// it succeeded; here an update is confirmed only after JetStream has stored it, so a crash or an
// outage of a worker never loses one. A re-fetched update is re-published with the same msgID and
// de-duplicated by the stream.
// ---------------------------------------------------------------------------------------------

/** Telegram's own limits for getUpdates. */
const UPDATES_PER_POLL_MAX = 100;
const POLL_TIMEOUT_S = 25;
const PUBLISH_TIMEOUT_MS = 5_000;
const ERROR_DELAY_MS_MAX = 10_000;

export interface TelegramIngressOptions {
  readonly api: Api;
  readonly js: JetStreamClient;
  readonly namespace: string;
  readonly partitions: number;
  readonly botId: number;
  readonly logger: Logger;
}

export interface TelegramIngress {
  start(): void;
  /** Stops polling; an update already fetched is published before this resolves. */
  stop(): Promise<void>;
  /** Health of the poll loop, for /readyz: failures in a row and when a poll last succeeded. */
  status(): TelegramIngressStatus;
}

export interface TelegramIngressStatus {
  readonly consecutiveErrors: number;
  readonly lastPollOkAtMs: number | undefined;
  readonly offset: number;
}

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
  return update.callback_query?.from.id ?? update.inline_query?.from.id ?? update.pre_checkout_query?.from.id;
}

/** Partition of an update: all updates of one chat land in one partition, so they stay ordered. */
export function partitionOfUpdate(update: Update, partitions: number): number {
  const chatId = chatIdOfUpdate(update);
  if (chatId === undefined) return 0;
  return Math.abs(chatId) % partitions;
}

/** Message id that makes a re-published update a duplicate: bot id plus Telegram's update id. */
export function updateMessageId(botId: number, update: Update): string {
  return `tg:${botId}:${update.update_id}`;
}

/** Starts the long-polling loop that stores each update in the ingress stream. */
export function createTelegramIngress(options: TelegramIngressOptions): TelegramIngress {
  const { api, js, namespace, partitions, botId, logger } = options;
  const abort = new AbortController();
  let loop: Promise<void> | undefined;
  let offset = 0;
  let consecutiveErrors = 0;
  let lastPollOkAtMs: number | undefined;

  async function publishUpdate(update: Update): Promise<void> {
    const subject = telegramUpdateSubject(namespace, partitionOfUpdate(update, partitions));
    await js.publish(subject, JSON.stringify(update), {
      msgID: updateMessageId(botId, update),
      timeout: PUBLISH_TIMEOUT_MS,
    });
  }

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        // grammY types its signal with the abort-controller shim; the platform AbortSignal is what it uses at run time.
        const signal = abort.signal as Parameters<Api['getUpdates']>[1];
        const updates = await api.getUpdates({ offset, limit: UPDATES_PER_POLL_MAX, timeout: POLL_TIMEOUT_S }, signal);
        // Publish in order; the offset moves only past updates JetStream has acknowledged.
        for (const update of updates) {
          await publishUpdate(update);
          offset = update.update_id + 1;
        }
        consecutiveErrors = 0;
        lastPollOkAtMs = Date.now();
      } catch (error) {
        if (abort.signal.aborted) break;
        consecutiveErrors += 1;
        const delayMs = Math.min(ERROR_DELAY_MS_MAX, 250 * 2 ** Math.min(consecutiveErrors, 6));
        logger.warn({ err: error, consecutiveErrors, delayMs }, 'telegram ingress poll failed');
        await sleep(delayMs, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      abort.abort();
      await loop;
    },
    status() {
      return { consecutiveErrors, lastPollOkAtMs, offset };
    },
  };
}
