import { and, gt, max, count, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database } from '@strongbox/shared-db';
import { sleep, superviseLoop, type SupervisedLoop } from '@strongbox/shared-resilience';
import { raiseAlert, type AlertTarget } from '@strongbox/shared-runtime';
import { notificationsTable, NotificationStates, type notifySchema } from '@strongbox/notify-data-access';

/** Unconfirmed rows older than this when the notifier starts were alerted on by an earlier run. */
const LOOKBACK_AT_START = sql`now() - interval '1 day'`;

/**
 * Raises `NOTIFICATION_UNCONFIRMED` when the delivery worker marked notifications unconfirmed (the
 * request may have reached Telegram, no answer came, so they are never sent again): someone should
 * look whether the user got it. Watches the queue rather than hooking the worker, so the alert is
 * raised whichever replica or sweep marked the row. One alert per new batch; the notifier's
 * de-duplication window folds a storm into one message with a count.
 */
export function watchUnconfirmed(deps: {
  database: Database<typeof notifySchema>;
  alerts: AlertTarget;
  logger: Logger;
  registry: Registry;
  intervalMs: number;
  onRepeatedFailures: (failure: { name: string; consecutiveErrors: number; error: unknown }) => void;
}): SupervisedLoop {
  let seenUpTo: bigint | null = null;
  const checkOnce = async (): Promise<void> => {
    const [found] = await deps.database.db
      .select({ count: count(), last: max(notificationsTable.sequence) })
      .from(notificationsTable)
      .where(
        and(
          eq(notificationsTable.state, NotificationStates.unconfirmed),
          seenUpTo === null ? gt(notificationsTable.createdAt, LOOKBACK_AT_START) : gt(notificationsTable.sequence, seenUpTo),
        ),
      );
    if (!found || found.count === 0 || found.last === null) {
      seenUpTo ??= 0n;
      return;
    }
    await raiseAlert(deps.alerts, {
      context: 'notify',
      service: 'notifier',
      code: 'NOTIFICATION_UNCONFIRMED',
      severity: 'warning',
      dedupeKey: 'notify:unconfirmed',
      summary: `${found.count} notification(s) may or may not have reached Telegram (no answer came); they are not sent again`,
      details: { count: String(found.count), lastSequence: String(found.last) },
    });
    seenUpTo = BigInt(found.last);
  };
  return superviseLoop({
    name: 'notify-unconfirmed-watch',
    logger: deps.logger,
    registry: deps.registry,
    delayMsInitial: deps.intervalMs,
    delayMsMax: 60_000,
    consecutiveErrorsAlert: 5,
    onRepeatedFailures: deps.onRepeatedFailures,
    run: async (signal) => {
      while (!signal.aborted) {
        await checkOnce();
        await sleep(deps.intervalMs, signal);
      }
    },
  });
}
