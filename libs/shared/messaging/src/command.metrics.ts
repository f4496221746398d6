import type { Counter, Histogram, Registry } from 'prom-client';
import { getOrCreateCounter, getOrCreateHistogram } from '@strongbox/shared-observability';

/**
 * How the command server answered one request; the `outcome` label of the command metrics. Error
 * codes are grouped into these classes, so the label stays small whatever codes handlers invent.
 */
export const CommandOutcomes = {
  /** The handler's response was sent. */
  ok: 'ok',
  /** The request was not JSON or did not match the command's schema (COMMAND_ERR_INVALID_REQUEST). */
  invalidRequest: 'invalid_request',
  /** The handler refused with a stable code that is not retryable: a decision (insufficient funds, conflict). */
  rejected: 'rejected',
  /** The handler failed with a stable code marked retryable or transient (in progress, database away). */
  retryableError: 'retryable_error',
  /** An unexpected error, or a response that broke the command's schema (COMMAND_ERR_INTERNAL). Alert on it. */
  internal: 'internal',
  /** The handler overran its time limit; answered COMMAND_ERR_UNAVAILABLE while it may still finish. */
  timeout: 'timeout',
  /** Refused at once because the server already had `concurrencyMax` requests in flight (COMMAND_ERR_UNAVAILABLE). */
  overloaded: 'overloaded',
  /** A message without a reply subject: nobody to answer, dropped without running the handler. */
  noReply: 'no_reply',
} as const;
export type CommandOutcome = (typeof CommandOutcomes)[keyof typeof CommandOutcomes];

/** Command handling time buckets in seconds: a cached read to a slow, contended transaction. */
const COMMAND_DURATION_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface CommandMetrics {
  readonly handled: Counter<'command' | 'outcome'>;
  readonly duration: Histogram<'command' | 'outcome'>;
}

/** The command server's metrics in `registry`, created on first use and shared by every server of that registry. */
export function commandMetrics(registry: Registry): CommandMetrics {
  return {
    handled: getOrCreateCounter(registry, {
      name: 'strongbox_messaging_commands_handled_total',
      help: 'Command requests a server answered (or dropped), by command type and outcome (ok, invalid_request, rejected, retryable_error, internal, timeout, overloaded, no_reply)',
      labelNames: ['command', 'outcome'],
    }),
    duration: getOrCreateHistogram(registry, {
      name: 'strongbox_messaging_command_duration_seconds',
      help: 'Time from receiving a command request to sending its reply, by command type and outcome',
      labelNames: ['command', 'outcome'],
      buckets: COMMAND_DURATION_BUCKETS_S,
    }),
  };
}
