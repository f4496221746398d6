import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import {
  alertEvents,
  type AlertData,
  deadLetterSubject,
  depositRevertedV1,
  durableName,
  StreamBases,
} from '@strongbox/shared-contracts';
import { processOnce, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import { DeadLetterHeaders } from '@strongbox/shared-messaging';
import { eventConsumerSpec, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { streamName } from '@strongbox/shared-contracts';
import { decideOpsAlert, enqueueNotifications, NotificationPriority } from '@strongbox/notify-data-access';
import { consumeEventsOnce } from './consume';
import { formatMoney, type AssetBook } from './assets';
import { Templates, type Texts } from './texts';

export interface OpsAlertOptions {
  /** The ops chat; without it alerts are only logged. */
  readonly chatId: bigint | undefined;
  readonly dedupeWindowMs: number;
  readonly perMinuteMax: number;
}

/** An alert as the notifier handles it, whatever raised it. */
export type OpsAlert = Omit<AlertData, 'raisedAt'>;

export interface OpsAlerts {
  /** Decides and, when due, queues the alert for the ops chat, in the caller's transaction. */
  raise(tx: DbExecutor, alert: OpsAlert, causationId: string): Promise<void>;
}

/**
 * Ops alerts: de-duplicated by key within a window (`ops_alerts` counts suppressed repeats and the
 * next message says how many), at most `perMinuteMax` a minute, queued with priority `ops` ahead of
 * every user message. Without an ops chat they are logged at error level with `alert: true`.
 */
export function createOpsAlerts(deps: { texts: Texts; logger: Logger; registry: Registry; options: OpsAlertOptions }): OpsAlerts {
  const { texts, logger, options } = deps;
  const outcomes = new Counter({
    name: 'notify_ops_alerts_total',
    help: 'Ops alerts received, by what became of them: sent (queued for the ops chat), logged (no ops chat), duplicate, rate_limited.',
    labelNames: ['outcome'],
    registers: [deps.registry],
  });
  return {
    async raise(tx, alert, causationId) {
      const decision = await decideOpsAlert(tx, alert.dedupeKey, { dedupeWindowMs: options.dedupeWindowMs, perMinuteMax: options.perMinuteMax, template: Templates.opsAlert });
      const fields = { code: alert.code, service: alert.service, severity: alert.severity, dedupeKey: alert.dedupeKey, details: alert.details, causationId };
      if (decision.kind !== 'send') {
        outcomes.inc({ outcome: decision.kind === 'duplicate' ? 'duplicate' : 'rate_limited' });
        logger.warn({ ...fields, suppressed: decision.suppressed, reason: decision.kind }, `ops alert not sent (${decision.kind}): ${alert.summary}`);
        return;
      }
      if (options.chatId === undefined) {
        outcomes.inc({ outcome: 'logged' });
        logger.error({ ...fields, repeats: decision.repeats, alert: true }, `ops alert (no NOTIFY_OPS_CHAT_ID): ${alert.summary}`);
        return;
      }
      const { text, entities } = texts.opsAlert({ ...alert, repeats: decision.repeats });
      await enqueueNotifications(tx, [
        {
          id: `alert:${alert.dedupeKey}:${decision.sentAt.getTime()}`,
          userId: null,
          chatId: options.chatId,
          priority: NotificationPriority.ops,
          template: Templates.opsAlert,
          languageCode: 'en',
          text,
          entities,
          causationId,
        },
      ]);
      outcomes.inc({ outcome: 'sent' });
      logger.error({ ...fields, repeats: decision.repeats, alert: true }, `ops alert queued for the ops chat: ${alert.summary}`);
    },
  };
}

/**
 * The dead-letter consumer. Its own letters go one token deeper (`<ns>.dlq.<durable>.own`), still
 * kept by the DLQ stream, while it reads `<ns>.dlq.*` only: a letter it cannot handle (say, a body
 * that is not JSON) is stored once instead of coming back to it for ever.
 */
const DEAD_LETTER_ACTION = 'alert-ops';
const DEAD_LETTER_EVENT = 'dead-letters';

/**
 * The alert sources the notifier consumes: every context's `alert.raised`, `chain.evt.deposit.reverted.v1`
 * and every dead letter of the namespace (`<NS>_DLQ`, `<ns>.dlq.>`).
 */
export async function startOpsAlertConsumers<TConfig extends RuntimeConfig>(
  context: ServiceContext<TConfig>,
  database: DatabaseHandle,
  alerts: OpsAlerts,
  assets: AssetBook,
): Promise<void> {
  for (const definition of alertEvents) {
    await consumeEventsOnce(
      context,
      database,
      [definition],
      { action: 'alert-ops', eventName: `${definition.context}-alert-raised`, description: `Sends ${definition.context} alerts to the ops chat` },
      (tx, event) => {
        const { raisedAt: _raisedAt, ...alert } = event.data as AlertData;
        return alerts.raise(tx, alert, event.id);
      },
    );
  }

  await consumeEventsOnce(
    context,
    database,
    [depositRevertedV1],
    { action: 'alert-ops', description: 'Tells the ops chat a confirmed deposit was reverted' },
    (tx, event) => {
      const { data } = event;
      let amount: string;
      try {
        amount = formatMoney(assets, data.asset, data.amount);
      } catch {
        amount = `${data.amount} minor units of ${data.asset}`;
      }
      return alerts.raise(
        tx,
        {
          service: 'chain-watcher',
          code: 'DEPOSIT_REVERTED',
          severity: 'critical',
          dedupeKey: `deposit-reverted:${data.chainId}:${data.txHash}:${data.logIndex}`,
          summary: `a confirmed deposit of ${amount} left the canonical chain; the ledger reverses it`,
          details: { chainId: String(data.chainId), txHash: data.txHash, logIndex: String(data.logIndex), userId: data.userId, reason: data.reason.slice(0, 256) },
        },
        event.id,
      );
    },
  );

  const durable = durableName(context.service, DEAD_LETTER_ACTION, DEAD_LETTER_EVENT);
  await context.consume({
    spec: {
      ...eventConsumerSpec({
        namespace: context.namespace,
        stream: StreamBases.deadLetters,
        durable,
        filterSubject: `${context.namespace}.dlq.*`,
        description: 'Tells the ops chat of every dead-lettered message',
      }),
      deadLetterSubject: `${deadLetterSubject(context.namespace, durable)}.own`,
    },
    // The body is whatever could not be handled: never interpreted, only its headers are read.
    decode: () => null,
    handle: async (_body, delivery) => {
      const header = (name: string) => delivery.headers[name] ?? delivery.headers[name.toLowerCase()] ?? '';
      const consumer = header(DeadLetterHeaders.consumer) || delivery.subject.split('.').at(-1) || 'unknown';
      const errorCode = header(DeadLetterHeaders.errorCode) || 'UNKNOWN';
      const letterId = `dlq:${streamName(context.namespace, StreamBases.deadLetters)}:${delivery.streamSeq}`;
      await processOnce(database, { consumer: durable, eventId: letterId, isolationLevel: 'read committed' }, (tx) =>
        alerts.raise(
          tx,
          {
            service: consumer.split('-')[0] ?? 'unknown',
            code: 'MESSAGE_DEAD_LETTERED',
            severity: 'critical',
            dedupeKey: `dlq:${consumer}:${errorCode}`.slice(0, 200),
            summary: `${consumer} gave up on a message (${errorCode}); it waits in the dead-letter stream`,
            details: {
              consumer: consumer.slice(0, 256),
              errorCode: errorCode.slice(0, 256),
              error: header(DeadLetterHeaders.errorMessage).slice(0, 256),
              subject: header(DeadLetterHeaders.subject).slice(0, 256),
              deadLetterSeq: String(delivery.streamSeq),
            },
          },
          letterId,
        ),
      );
    },
  });
}
