import { sql } from 'drizzle-orm';
import type { MessageEntity } from 'grammy/types';
import type { DbExecutor } from '@strongbox/shared-db';
import { notificationsTable } from './notify.schema';

// ---------------------------------------------------------------------------------------------
// The producer side of the delivery queue: whoever turns an event into a message calls
// `enqueueNotifications` inside the transaction that consumes the event. The delivery worker
// (`@strongbox/notify-feature`) does the rest.
// ---------------------------------------------------------------------------------------------

/** Queue order, lower first: ops alerts, then money events, then other user events, then broadcasts. */
export const NotificationPriority = { ops: 0, money: 1, info: 2, broadcast: 3 } as const;
export type NotificationPriorityValue = (typeof NotificationPriority)[keyof typeof NotificationPriority];

/** The states of a notification row; see the column comment in `notify.schema.ts`. */
export const NotificationStates = {
  pending: 'pending',
  sending: 'sending',
  delivered: 'delivered',
  blocked: 'blocked',
  failed: 'failed',
  unconfirmed: 'unconfirmed',
} as const;
export type NotificationState = (typeof NotificationStates)[keyof typeof NotificationStates];

export interface NotificationInput {
  /** Derived from the cause: `${eventId}:${template}`, `${broadcastId}:${userId}`, `alert:${key}:${bucket}`. */
  id: string;
  /** Null for the ops chat. */
  userId: string | null;
  chatId: bigint;
  priority: 0 | 1 | 2 | 3;
  template: string;
  languageCode: 'en' | 'ru';
  /** Already rendered. */
  text: string;
  /** grammY's `MessageEntity`; the worker never sends `parse_mode`. */
  entities: MessageEntity[];
  causationId: string;
  broadcastId?: string | null;
}

/** At most this many rows per call: one multi-row insert stays well under PostgreSQL's 65 535 parameters. */
export const ENQUEUE_NOTIFICATIONS_MAX = 1_000;
/** Telegram's limit on a message's text (after entities parsing). */
export const NOTIFICATION_TEXT_LENGTH_MAX = 4_096;
/** Telegram allows at most 100 entities per message. */
export const NOTIFICATION_ENTITIES_MAX = 100;
const ID_LENGTH_MAX = 256;
/** As `notify.evt.message.delivered.v1` allows. */
const CAUSATION_ID_LENGTH_MAX = 128;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TEMPLATE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
// Telegram chat ids fit in 52 bits (a signed 64-bit column holds them; a larger number is a bug upstream).
const CHAT_ID_ABS_MAX = 2n ** 52n;

export const NotificationErrorCodes = {
  invalidInput: 'NOTIFY_ERR_INVALID_NOTIFICATION',
  tooMany: 'NOTIFY_ERR_TOO_MANY_NOTIFICATIONS',
} as const;
export type NotificationErrorCode = (typeof NotificationErrorCodes)[keyof typeof NotificationErrorCodes];

/** A notification the queue refuses; nothing of the call was inserted. */
export class NotificationInputError extends Error {
  override readonly name = 'NotificationInputError';
  constructor(
    readonly code: NotificationErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Inserts in the caller's transaction; an id already there is skipped. Returns how many were new.
 * Every item is checked before anything is written, so a bad one changes nothing.
 *
 * @example
 * await database.db.transaction(async (tx) => {
 *   await enqueueNotifications(tx, [{ id: `${event.id}:deposit-confirmed`, priority: NotificationPriority.money, … }]);
 * });
 */
export async function enqueueNotifications(tx: DbExecutor, items: readonly NotificationInput[]): Promise<number> {
  if (items.length === 0) return 0;
  if (items.length > ENQUEUE_NOTIFICATIONS_MAX) {
    throw new NotificationInputError(NotificationErrorCodes.tooMany, `at most ${ENQUEUE_NOTIFICATIONS_MAX} notifications per call, got ${items.length}`);
  }
  const seen = new Set<string>();
  for (const item of items) {
    assertValid(item);
    // Within one call a repeated id is a caller bug, not a redelivery: the second would be silently lost.
    if (seen.has(item.id)) throw invalid(item.id, 'id appears twice in one call');
    seen.add(item.id);
  }
  const inserted = await tx
    .insert(notificationsTable)
    .values(
      items.map((item) => ({
        id: item.id,
        userId: item.userId,
        chatId: item.chatId,
        priority: item.priority,
        template: item.template,
        languageCode: item.languageCode,
        text: item.text,
        entities: item.entities,
        causationId: item.causationId,
        broadcastId: item.broadcastId ?? null,
        notBefore: sql`now()`,
      })),
    )
    .onConflictDoNothing({ target: notificationsTable.id })
    .returning({ id: notificationsTable.id });
  return inserted.length;
}

function assertValid(item: NotificationInput): void {
  const id = typeof item.id === 'string' ? item.id : '';
  if (id.length === 0 || id.length > ID_LENGTH_MAX) throw invalid(id, `id must be 1..${ID_LENGTH_MAX} characters`);
  if (item.userId !== null && (typeof item.userId !== 'string' || !UUID_PATTERN.test(item.userId))) throw invalid(id, 'userId must be a uuid or null');
  if (typeof item.chatId !== 'bigint' || item.chatId === 0n || item.chatId > CHAT_ID_ABS_MAX || item.chatId < -CHAT_ID_ABS_MAX) {
    throw invalid(id, 'chatId must be a non-zero bigint within Telegram’s range');
  }
  if (!Object.values(NotificationPriority).includes(item.priority)) throw invalid(id, 'priority must be 0, 1, 2 or 3');
  if (typeof item.template !== 'string' || !TEMPLATE_PATTERN.test(item.template)) throw invalid(id, `template must match ${TEMPLATE_PATTERN.source}`);
  if (item.languageCode !== 'en' && item.languageCode !== 'ru') throw invalid(id, 'languageCode must be en or ru');
  if (typeof item.text !== 'string' || item.text.trim().length === 0 || item.text.length > NOTIFICATION_TEXT_LENGTH_MAX) {
    throw invalid(id, `text must be 1..${NOTIFICATION_TEXT_LENGTH_MAX} characters and not blank`);
  }
  if (!Array.isArray(item.entities) || item.entities.length > NOTIFICATION_ENTITIES_MAX) throw invalid(id, `entities must be an array of at most ${NOTIFICATION_ENTITIES_MAX}`);
  for (const entity of item.entities) {
    const fits =
      typeof entity === 'object' &&
      entity !== null &&
      typeof entity.type === 'string' &&
      Number.isInteger(entity.offset) &&
      Number.isInteger(entity.length) &&
      entity.offset >= 0 &&
      entity.length > 0 &&
      entity.offset + entity.length <= item.text.length;
    if (!fits) throw invalid(id, 'every entity needs a type and an offset/length inside the text');
  }
  if (typeof item.causationId !== 'string' || item.causationId.length === 0 || item.causationId.length > CAUSATION_ID_LENGTH_MAX) {
    throw invalid(id, `causationId must be 1..${CAUSATION_ID_LENGTH_MAX} characters`);
  }
  const broadcastId = item.broadcastId ?? null;
  if (broadcastId !== null && (typeof broadcastId !== 'string' || !UUID_PATTERN.test(broadcastId))) throw invalid(id, 'broadcastId must be a uuid or null');
}

function invalid(id: string, reason: string): NotificationInputError {
  return new NotificationInputError(NotificationErrorCodes.invalidInput, `notification ${JSON.stringify(id.slice(0, 80))}: ${reason}`);
}
