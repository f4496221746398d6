import { sql } from 'drizzle-orm';
import type { MessageEntity } from 'grammy/types';
import { eventSubject, messageDeliveredV1, type LanguageCode } from '@strongbox/shared-contracts';
import { enqueueEvents, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';

// ---------------------------------------------------------------------------------------------
// The consumer side of the delivery queue: claim the next notification that may be sent now, and
// record what Telegram answered. Raw SQL because the claim needs `FOR UPDATE SKIP LOCKED`, an
// advisory lock and correlated checks that the query builder cannot express.
// ---------------------------------------------------------------------------------------------

/** A notification the worker has committed as `sending`: its request may leave now. */
export interface ClaimedNotification {
  readonly id: string;
  readonly sequence: bigint;
  readonly userId: string | null;
  readonly chatId: bigint;
  readonly priority: number;
  readonly template: string;
  readonly languageCode: LanguageCode;
  readonly text: string;
  readonly entities: MessageEntity[];
  readonly causationId: string;
  /** Attempts including this one. */
  readonly attempts: number;
}

export interface ClaimOptions {
  /** Least time between two requests to one chat (per-chat limit plus a safety margin). */
  readonly chatIntervalMs: number;
  /** Candidates looked at per claim; the first that passes every check is taken. */
  readonly candidatesMax: number;
}

export interface ClaimResult {
  readonly notification: ClaimedNotification | undefined;
  /** Rows turned `blocked` on the way because their user had blocked the bot. */
  readonly skippedBlocked: number;
}

/**
 * Claims the next due notification, in queue order (priority, then sequence), and commits it as
 * `sending` (attempts + 1, `sent_at` = now) before returning: the caller sends right after.
 *
 * A row is taken only if it is its chat's oldest open one, no request to the chat is in flight, its
 * user has not blocked the bot (else it turns `blocked`), and the chat's last request was recorded
 * at least `chatIntervalMs` ago (else it is deferred). `FOR UPDATE SKIP LOCKED` keeps replicas off
 * each other's rows; a per-chat advisory lock, taken before the chat checks run in statements of
 * their own, makes those checks exact across replicas. It all runs in the plpgsql function
 * `notify_claim_next` (migration 0003), one round trip, autocommitted.
 */
export async function claimNextNotification(database: DatabaseHandle, options: ClaimOptions): Promise<ClaimResult> {
  const [result] = await database.sql<Array<{ claim: { skipped: number; row: Record<string, unknown> | null } }>>`
    select notify_claim_next(${options.chatIntervalMs}::double precision, ${options.candidatesMax}::integer) as claim`;
  const claim = result?.claim;
  if (claim === undefined) throw new Error('notify_claim_next returned no row');
  return { notification: claim.row === null ? undefined : toClaimed(claim.row), skippedBlocked: claim.skipped };
}

/** What Telegram's answer (or its absence) means for a claimed notification. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly telegramMessageId: number }
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: string }
  | { readonly kind: 'blocked'; readonly error: string }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'unconfirmed'; readonly error: string };

const ERROR_TEXT_MAX = 1_000;

/**
 * Records the outcome of a `sending` row and moves `sent_at` to now: the request reached Telegram
 * (if it did) somewhere between the claim and this moment, so counting the chat's interval from here
 * can never let its next message arrive within the per-chat window. Returns false when the row was no longer `sending`
 * (another process swept it to `unconfirmed`); a delivery still overrides `unconfirmed`, since
 * Telegram's answer is better knowledge than the sweep's guess.
 */
export async function recordDeliveryOutcome(
  database: DatabaseHandle,
  namespace: string,
  notification: ClaimedNotification,
  outcome: DeliveryOutcome,
): Promise<boolean> {
  return database.db.transaction(
    async (tx) => {
      if (outcome.kind === 'delivered') return markDelivered(tx, namespace, notification, outcome.telegramMessageId);
      const error = outcome.error.slice(0, ERROR_TEXT_MAX);
      if (outcome.kind === 'retry') {
        return updated(
          await tx.execute(sql`
            update notifications set state = 'pending', last_error = ${error}, sent_at = clock_timestamp(),
              not_before = now() + ${Math.max(0, Math.ceil(outcome.delayMs))} * interval '1 millisecond'
            where id = ${notification.id} and state = 'sending' returning id`),
        );
      }
      const changed = updated(
        await tx.execute(sql`update notifications set state = ${outcome.kind}, last_error = ${error}, sent_at = clock_timestamp() where id = ${notification.id} and state = 'sending' returning id`),
      );
      if (changed && outcome.kind === 'blocked' && notification.userId !== null) {
        await tx.execute(sql`update recipients set blocked_at = now(), updated_at = now() where user_id = ${notification.userId}::uuid and blocked_at is null`);
      }
      return changed;
    },
    { isolationLevel: 'read committed' },
  );
}

async function markDelivered(tx: DbExecutor, namespace: string, notification: ClaimedNotification, telegramMessageId: number): Promise<boolean> {
  const changed = updated(
    await tx.execute(sql`
      update notifications set state = 'delivered', telegram_message_id = ${telegramMessageId}, last_error = null, sent_at = clock_timestamp()
      where id = ${notification.id} and state in ('sending', 'unconfirmed') returning id`),
  );
  // The ops chat has no user: nothing downstream tracks messages to it.
  if (!changed || notification.userId === null) return changed;
  const now = new Date();
  const event = messageDeliveredV1.create({
    source: 'strongbox/notifier',
    subject: notification.userId,
    time: now,
    data: {
      userId: notification.userId,
      chatId: notification.chatId.toString(),
      template: notification.template,
      languageCode: notification.languageCode,
      telegramMessageId,
      causationId: notification.causationId,
    },
  });
  await enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event }]);
  return true;
}

/** A `sending` row given up on: no outcome was recorded in time. */
export interface StaleSending {
  readonly id: string;
  readonly chatId: bigint;
  readonly userId: string | null;
  readonly template: string;
  readonly causationId: string;
}

/**
 * Turns `sending` rows whose request left more than `olderThanMs` ago into `unconfirmed`: the
 * process that sent them died (or lost PostgreSQL) before recording Telegram's answer, so the
 * message may or may not be visible. They are never sent again. `olderThanMs` must exceed the
 * request timeout, so a live replica's row in flight is never taken.
 */
export async function sweepStaleSending(database: DatabaseHandle, olderThanMs: number): Promise<StaleSending[]> {
  const rows = rowsOf(
    await database.db.transaction((tx) =>
      tx.execute(sql`
        update notifications set state = 'unconfirmed',
          last_error = ${`no outcome recorded within ${olderThanMs} ms of sending (the sender stopped or lost its database)`}
        where state = 'sending' and sent_at < now() - ${olderThanMs} * interval '1 millisecond'
        returning id, chat_id::text as chat_id, user_id, template, causation_id`),
    ),
  );
  return rows.map((row) => ({
    id: row['id'] as string,
    chatId: BigInt(row['chat_id'] as string),
    userId: (row['user_id'] as string | null) ?? null,
    template: row['template'] as string,
    causationId: row['causation_id'] as string,
  }));
}

/** Pending notifications by priority (0..3), for the queue-depth gauge. */
export async function countPendingByPriority(database: DatabaseHandle): Promise<Map<number, number>> {
  const rows = rowsOf(
    await database.db.transaction((tx) =>
      tx.execute(sql`select priority, count(*)::int as pending from notifications where state = 'pending' group by priority`),
    ),
  );
  return new Map(rows.map((row) => [Number(row['priority']), Number(row['pending'])]));
}

function rowsOf(result: unknown): Array<Record<string, unknown>> {
  return [...(result as Iterable<Record<string, unknown>>)];
}

function updated(result: unknown): boolean {
  return rowsOf(result).length > 0;
}

/** From `to_jsonb(notifications row)`: bigint columns arrive as JSON numbers (chat ids fit in 52 bits). */
function toClaimed(row: Record<string, unknown>): ClaimedNotification {
  return {
    id: row['id'] as string,
    sequence: BigInt(row['sequence'] as number),
    userId: (row['user_id'] as string | null) ?? null,
    chatId: BigInt(row['chat_id'] as number),
    priority: Number(row['priority']),
    template: row['template'] as string,
    languageCode: row['language_code'] as LanguageCode,
    text: row['text'] as string,
    entities: (row['entities'] as MessageEntity[] | null) ?? [],
    causationId: row['causation_id'] as string,
    attempts: Number(row['attempts']),
  };
}
