import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { alertRaisedByContext, eventSubject, type AlertSeverity, type Context } from '@strongbox/shared-contracts';

/** One ops alert, as a service raises it. */
export interface AlertInput {
  /** The raising service's context: the alert goes to `<ns>.<context>.evt.alert.raised.v1`. */
  readonly context: Context;
  readonly service: string;
  /** Upper snake case, e.g. `LEDGER_INVARIANT_VIOLATED`. */
  readonly code: string;
  readonly severity: AlertSeverity;
  /** Same key, same alert: JetStream keeps one per time bucket and the notifier one per window. */
  readonly dedupeKey: string;
  /** One line in English; never a secret nor a user's personal data. */
  readonly summary: string;
  readonly details?: Readonly<Record<string, string>>;
}

export interface AlertTarget {
  readonly js: JetStreamClient;
  readonly namespace: string;
  readonly logger: Logger;
}

/** Copies of one key within this bucket are stored once by JetStream (its duplicate window is longer). */
export const ALERT_BUCKET_MS_DEFAULT = 60_000;
const ALERT_PUBLISH_TIMEOUT_MS = 5_000;

/**
 * Publishes an ops alert straight to JetStream, not through the outbox: what it reports is often
 * that the database is down. The message id is `<dedupeKey>:<time bucket>`, so a condition
 * reported on every loop turn is stored once per bucket. Never throws and never waits longer than
 * the publish timeout: resolves false (and logs the alert at error level) when it could not publish.
 *
 * @example
 * void raiseAlert(context, { context: 'ledger', service: 'ledger', code: 'LEDGER_INVARIANT_VIOLATED',
 *   severity: 'critical', dedupeKey: 'ledger:invariants', summary: '2 invariants violated' });
 */
export async function raiseAlert(target: AlertTarget, alert: AlertInput, options: { now?: Date; bucketMs?: number } = {}): Promise<boolean> {
  const now = options.now ?? new Date();
  const bucket = Math.floor(now.getTime() / (options.bucketMs ?? ALERT_BUCKET_MS_DEFAULT));
  const fields = { alert: true, code: alert.code, dedupeKey: alert.dedupeKey, severity: alert.severity, details: alert.details };
  try {
    const definition = alertRaisedByContext[alert.context];
    const event = definition.create({
      source: `strongbox/${alert.service}`,
      subject: alert.code,
      time: now,
      data: {
        service: alert.service,
        code: alert.code,
        severity: alert.severity,
        dedupeKey: alert.dedupeKey,
        summary: alert.summary,
        details: { ...alert.details },
        raisedAt: now.toISOString(),
      },
    });
    await target.js.publish(eventSubject(target.namespace, definition.type), JSON.stringify(event), {
      msgID: `${alert.dedupeKey}:${bucket}`,
      timeout: ALERT_PUBLISH_TIMEOUT_MS,
    });
    return true;
  } catch (error) {
    target.logger.error({ ...fields, err: error }, `alert could not be published: ${alert.summary}`);
    return false;
  }
}
