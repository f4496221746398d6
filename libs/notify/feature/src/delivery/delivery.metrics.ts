import { getOrCreateCounter, getOrCreateGauge, getOrCreateHistogram } from '@strongbox/shared-observability';
import type { Registry } from 'prom-client';

/** What became of one attempt (or a row skipped without one). */
export const DeliveryOutcomeLabels = ['delivered', 'retry', 'rate_limited', 'blocked', 'skipped_blocked', 'failed', 'unconfirmed'] as const;
export type DeliveryOutcomeLabel = (typeof DeliveryOutcomeLabels)[number];

/** The delivery worker's metrics; every series exists from the start so `rate()` sees 0, not nothing. */
export function createDeliveryMetrics(registry: Registry) {
  const outcomes = getOrCreateCounter(registry, {
    name: 'strongbox_notify_sent_total',
    help: 'Notification send attempts by outcome (skipped_blocked: not sent because the user had blocked the bot).',
    labelNames: ['outcome'],
  });
  const queueDepth = getOrCreateGauge(registry, {
    name: 'strongbox_notify_queue_depth',
    help: 'Pending notifications by priority (0 ops, 1 money, 2 info, 3 broadcast).',
    labelNames: ['priority'],
  });
  const sendSeconds = getOrCreateHistogram(registry, {
    name: 'strongbox_notify_send_seconds',
    help: 'Time of one sendMessage request, from the request leaving to the answer.',
    labelNames: ['outcome'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const http429 = getOrCreateCounter(registry, { name: 'strongbox_notify_http_429_total', help: 'Telegram answers 429 (flood control).' });
  const unconfirmed = getOrCreateCounter(registry, {
    name: 'strongbox_notify_unconfirmed_total',
    help: 'Messages whose send outcome is unknown (timeout after the request was written, or found in sending): never sent again.',
    labelNames: ['reason'],
  });
  const limiterOnRedis = getOrCreateGauge(registry, {
    name: 'strongbox_notify_rate_limiter_redis',
    help: '1 while the global rate limit is shared through Redis, 0 while this replica uses its in-memory share.',
  });
  const slotsMissed = getOrCreateCounter(registry, {
    name: 'strongbox_notify_slots_missed_total',
    help: 'Global send slots given up because the lane woke (late_wake) or its claim finished (late_claim) too late to send on time: a replica short of CPU or database time.',
    labelNames: ['reason'],
  });
  const claimSeconds = getOrCreateHistogram(registry, {
    name: 'strongbox_notify_claim_seconds',
    help: 'Time of one claim transaction (finding and committing the next notification to send).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  });
  for (const reason of ['late_wake', 'late_claim']) slotsMissed.inc({ reason }, 0);
  for (const outcome of DeliveryOutcomeLabels) outcomes.inc({ outcome }, 0);
  for (const priority of ['0', '1', '2', '3']) queueDepth.set({ priority }, 0);
  http429.inc(0);
  for (const reason of ['timeout', 'stale']) unconfirmed.inc({ reason }, 0);
  return { outcomes, queueDepth, sendSeconds, http429, unconfirmed, limiterOnRedis, slotsMissed, claimSeconds };
}

export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
