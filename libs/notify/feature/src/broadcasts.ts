import type { MessageEntity } from 'grammy/types';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  broadcastCompletedV1,
  broadcastProgressedV1,
  broadcastV1,
  eventSubject,
  NotifyCommandErrors,
  type CloudEvent,
} from '@strongbox/shared-contracts';
import { classifyDbError, DbFailureKinds, enqueueEvents, type Database, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { CommandError, commandRoute, type AnyCommandRoute } from '@strongbox/shared-messaging';
import { superviseLoop, type SupervisedLoop } from '@strongbox/shared-resilience';
import type { Logger } from 'pino';
import {
  advanceBroadcast,
  broadcastOutcome,
  broadcastsIn,
  BroadcastStates,
  completeBroadcast,
  countReachableRecipients,
  enqueueNotifications,
  insertBroadcast,
  lockNextBroadcast,
  NotificationPriority,
  recipientsPage,
  type BroadcastTexts,
  type notifySchema,
} from '@strongbox/notify-data-access';
import { Templates } from './texts';

export interface BroadcastOptions {
  /** Recipients enqueued per transaction; the cursor moves after each. */
  readonly chunkSize: number;
  /** Pause between chunks (0: none); lets a test stop the enqueuing half-way. */
  readonly chunkPauseMs: number;
  /** How often the loop looks for work it was not woken for (another replica's broadcast, completion). */
  readonly pollIntervalMs: number;
}

export interface Broadcasts {
  readonly route: AnyCommandRoute;
  /** Starts the enqueuing loop; stop it on shutdown. */
  start(): SupervisedLoop;
}

const SOURCE = 'strongbox/notifier';
const LOOP_DELAY_MS_MAX = 30_000;
const LOOP_ERRORS_ALERT = 5;

function sameTexts(stored: unknown, requested: BroadcastTexts): boolean {
  const texts = stored as Partial<BroadcastTexts> | null;
  return texts?.en === requested.en && texts.ru === requested.ru;
}

/**
 * Admin broadcasts: `notify.cmd.broadcast.v1` stores the broadcast (idempotently) and wakes the
 * loop; the loop enqueues recipients in user-id order, one chunk per transaction that also moves
 * the cursor and puts `broadcast.progressed` in the outbox, so a crash resumes after the last
 * committed chunk and never queues a user twice (ids are `<broadcast id>:<user id>`). Once every
 * message reached a final state it marks the broadcast completed and publishes `broadcast.completed`.
 */
export function createBroadcasts(deps: {
  database: Database<typeof notifySchema>;
  namespace: string;
  logger: Logger;
  registry: Registry;
  options: BroadcastOptions;
  onRepeatedFailures?: (failure: { name: string; consecutiveErrors: number; error: unknown }) => void;
}): Broadcasts {
  const { database, namespace, logger, options } = deps;
  const enqueuedTotal = new Counter({ name: 'notify_broadcast_enqueued_total', help: 'Broadcast messages queued for delivery.', registers: [deps.registry] });
  const open = new Gauge({ name: 'notify_broadcasts_open', help: 'Broadcasts not yet completed, by state.', labelNames: ['state'], registers: [deps.registry] });
  const completedTotal = new Counter({ name: 'notify_broadcasts_completed_total', help: 'Broadcasts whose every message reached a final state.', registers: [deps.registry] });
  let wake: (() => void) | undefined;

  const publish = (tx: DbExecutor, event: CloudEvent<unknown>) => enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event }]);

  const route = commandRoute(broadcastV1, async (request) => {
    try {
      const result = await database.db.transaction(async (tx) => {
        const recipientsTotal = await countReachableRecipients(tx);
        const { row, created } = await insertBroadcast(tx, { id: newId(), adminId: request.adminId, idempotencyKey: request.idempotencyKey, texts: request.texts, recipientsTotal });
        if (!created && (row.adminId !== request.adminId || !sameTexts(row.texts, request.texts))) {
          throw new CommandError(NotifyCommandErrors.idempotencyConflict, 'this idempotency key was used for another broadcast', { details: { broadcastId: row.id } });
        }
        if (created) logger.info({ broadcastId: row.id, adminId: row.adminId, recipients: recipientsTotal }, 'broadcast accepted');
        return { broadcastId: row.id, recipients: row.recipientsTotal };
      });
      wake?.();
      return result;
    } catch (error) {
      if (!(error instanceof CommandError) && classifyDbError(error) === DbFailureKinds.transient) {
        throw new CommandError(NotifyCommandErrors.unavailable, 'the notifier cannot reach its database; retry with the same key', { retryable: true, cause: error });
      }
      throw error;
    }
  });

  /** Enqueues one chunk of the oldest enqueuing broadcast; false when there was none. */
  const enqueueChunk = (): Promise<boolean> =>
    database.db.transaction(async (tx) => {
      const broadcast = await lockNextBroadcast(tx, BroadcastStates.enqueuing);
      if (!broadcast) return false;
      const texts = broadcast.texts as BroadcastTexts;
      const page = await recipientsPage(tx, broadcast.cursorUserId, options.chunkSize);
      const entities: MessageEntity[] = [];
      const added = await enqueueNotifications(
        tx,
        page.map((recipient) => {
          const languageCode = recipient.languageCode === 'ru' ? 'ru' : 'en';
          return {
            id: `${broadcast.id}:${recipient.userId}`,
            userId: recipient.userId,
            chatId: recipient.chatId,
            priority: NotificationPriority.broadcast,
            template: Templates.broadcast,
            languageCode,
            text: texts[languageCode],
            entities,
            causationId: broadcast.id,
            broadcastId: broadcast.id,
          } as const;
        }),
      );
      const done = page.length < options.chunkSize;
      const cursorUserId = page.at(-1)?.userId ?? broadcast.cursorUserId;
      const advanced = await advanceBroadcast(tx, broadcast.id, { cursorUserId, enqueuedMore: added, done });
      if (page.length > 0) {
        await publish(
          tx,
          broadcastProgressedV1.create({
            source: SOURCE,
            subject: broadcast.id,
            data: { broadcastId: broadcast.id, adminId: broadcast.adminId, recipients: broadcast.recipientsTotal, enqueued: advanced.enqueued, progressedAt: new Date().toISOString() },
          }),
        );
      }
      enqueuedTotal.inc(added);
      if (done) logger.info({ broadcastId: broadcast.id, enqueued: advanced.enqueued }, 'broadcast fully queued');
      return true;
    });

  /** Completes every sending broadcast whose messages all reached a final state. */
  const completeFinished = async (): Promise<void> => {
    for (const broadcast of await broadcastsIn(database.db, BroadcastStates.sending)) {
      await database.db.transaction(async (tx) => {
        const outcome = await broadcastOutcome(tx, broadcast.id);
        if (outcome.open > 0 || !(await completeBroadcast(tx, broadcast.id))) return;
        await publish(
          tx,
          broadcastCompletedV1.create({
            source: SOURCE,
            subject: broadcast.id,
            data: {
              broadcastId: broadcast.id,
              adminId: broadcast.adminId,
              enqueued: broadcast.enqueued,
              delivered: outcome.delivered,
              blocked: outcome.blocked,
              failed: outcome.failed,
              unconfirmed: outcome.unconfirmed,
              completedAt: new Date().toISOString(),
            },
          }),
        );
        completedTotal.inc();
        logger.info({ broadcastId: broadcast.id, ...outcome }, 'broadcast completed');
      });
    }
  };

  const refreshGauge = async (): Promise<void> => {
    open.set({ state: BroadcastStates.enqueuing }, (await broadcastsIn(database.db, BroadcastStates.enqueuing)).length);
    open.set({ state: BroadcastStates.sending }, (await broadcastsIn(database.db, BroadcastStates.sending)).length);
  };

  const pause = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      }
      wake = done;
      signal.addEventListener('abort', done, { once: true });
    });

  return {
    route,
    start: () =>
      superviseLoop({
        name: 'notify-broadcasts',
        logger,
        registry: deps.registry,
        delayMsInitial: options.pollIntervalMs,
        delayMsMax: LOOP_DELAY_MS_MAX,
        consecutiveErrorsAlert: LOOP_ERRORS_ALERT,
        ...(deps.onRepeatedFailures ? { onRepeatedFailures: deps.onRepeatedFailures } : {}),
        run: async (signal) => {
          while (!signal.aborted) {
            if (await enqueueChunk()) {
              if (options.chunkPauseMs > 0) await pause(options.chunkPauseMs, signal);
              continue;
            }
            await completeFinished();
            await refreshGauge();
            await pause(options.pollIntervalMs, signal);
          }
        },
      }),
  };
}
