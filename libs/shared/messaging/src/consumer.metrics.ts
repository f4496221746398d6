import type { Counter, Histogram, Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateHistogram } from '@strongbox/shared-observability';

/** How the runner settled one delivered message; the `outcome` label of the consumer metrics. */
export const ConsumerOutcomes = {
  /** Handled and acknowledged. */
  acked: 'acked',
  /** The handler failed; naked with back-off for another delivery. */
  retried: 'retried',
  /** The handler asked to retry later (`{ retryAfterMs }`); naked with that delay. Not a failure. */
  deferred: 'deferred',
  /** Given up on after its last allowed delivery: stored on the dead-letter subject, terminated. */
  deadLettered: 'dead_lettered',
  /** Not JSON, or refused by the decoder: dead-lettered at once, never retried. */
  decodeFailed: 'decode_failed',
  /** Storing the dead letter failed; naked to try again later, so nothing is lost. Alert on it. */
  deadLetterFailed: 'dead_letter_failed',
  /** Handed back unhandled (naked without delay) because the runner was stopping. */
  released: 'released',
} as const;
export type ConsumerOutcome = (typeof ConsumerOutcomes)[keyof typeof ConsumerOutcomes];

/** Handle-time buckets in seconds: a fast inbox transaction to a slow external call. */
const HANDLE_DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface ConsumerMetrics {
  readonly messages: Counter<'consumer' | 'outcome'>;
  readonly handleDuration: Histogram<'consumer' | 'outcome'>;
}

/** The runner's metrics in `registry`, created on first use and shared by every consumer of that registry. */
export function consumerMetrics(registry: Registry): ConsumerMetrics {
  return {
    messages: getOrCreateCounter(registry, {
      name: 'strongbox_messaging_messages_total',
      help: 'Messages a durable consumer settled, by outcome (acked, retried, deferred, dead_lettered, decode_failed, dead_letter_failed, released)',
      labelNames: ['consumer', 'outcome'],
    }),
    handleDuration: getOrCreateHistogram(registry, {
      name: 'strongbox_messaging_handle_duration_seconds',
      help: 'Time from taking a message to settling it (decode, handler, dead letter, ack), by outcome',
      labelNames: ['consumer', 'outcome'],
      buckets: HANDLE_DURATION_BUCKETS_S,
    }),
  };
}
