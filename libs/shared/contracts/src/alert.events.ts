import { z } from 'zod';
import { defineEvent, type EventDefinition } from './define-event';
import type { Context } from './naming';

// ---------------------------------------------------------------------------------------------
// Ops alerts: something an operator must look at now (invariants violated, a deposit reverted, a
// breaker open too long, a loop failing again and again, a message dead-lettered). Each service
// publishes its own into its own stream as `<context>.evt.alert.raised.v1`; the notifier sends them
// to the ops chat, de-duplicated by `dedupeKey` and rate-limited.
//
// Alerts are published straight to JetStream (with `dedupeKey` and a time bucket as the message id),
// not through the outbox: the condition being reported is often that the service's database is down.
// ---------------------------------------------------------------------------------------------

export const alertSeveritySchema = z.enum(['critical', 'warning']);
export type AlertSeverity = z.infer<typeof alertSeveritySchema>;

/** Stable alert codes, upper snake case, e.g. `LEDGER_INVARIANT_VIOLATED`. */
export const alertCodeSchema = z.string().regex(/^[A-Z][A-Z0-9_]{2,63}$/, 'an alert code such as LEDGER_INVARIANT_VIOLATED');

export const ALERT_DETAILS_MAX = 16;

const alertDataSchema = z.object({
  /** The service that raised it (`ledger`, `chain-watcher`, …). */
  service: z.string().min(1).max(64),
  code: alertCodeSchema,
  severity: alertSeveritySchema,
  /** Same key, same alert: the ops chat hears it once per de-duplication window. */
  dedupeKey: z.string().min(1).max(200),
  /** One line for a human, in English (the ops chat's language); never a secret or a user's personal data. */
  summary: z.string().min(1).max(512),
  details: z
    .record(z.string().min(1).max(64), z.string().max(256))
    .refine((details) => Object.keys(details).length <= ALERT_DETAILS_MAX, `at most ${ALERT_DETAILS_MAX} details`),
  raisedAt: z.iso.datetime({ offset: true }),
});

export type AlertData = z.infer<typeof alertDataSchema>;

function alertRaised(context: Context) {
  return defineEvent({
    context,
    aggregate: 'alert',
    name: 'raised',
    version: 1,
    description: `The ${context} service raised an ops alert. Published straight to JetStream (not through the outbox). \`subject\` is the alert code.`,
    schema: alertDataSchema,
  });
}

export const botAlertRaisedV1 = alertRaised('bot');
export const ledgerAlertRaisedV1 = alertRaised('ledger');
export const chainAlertRaisedV1 = alertRaised('chain');
export const notifyAlertRaisedV1 = alertRaised('notify');
export const adminAlertRaisedV1 = alertRaised('admin');

/** The alert event of each context. */
export const alertRaisedByContext = {
  bot: botAlertRaisedV1,
  ledger: ledgerAlertRaisedV1,
  chain: chainAlertRaisedV1,
  notify: notifyAlertRaisedV1,
  admin: adminAlertRaisedV1,
} as const satisfies Record<Context, EventDefinition>;

/** The events of this file, for the catalogue (`allEvents`) and the docs. */
export const alertEvents: readonly EventDefinition[] = Object.values(alertRaisedByContext);
