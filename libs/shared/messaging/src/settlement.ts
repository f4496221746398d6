import { MessagingErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// What becomes of a delivered message, decided from the handler's outcome alone (pure, so every
// row of the semantics table in the README is a unit test).
// ---------------------------------------------------------------------------------------------

/** How a handler run ended. */
export type HandlerOutcome =
  | { readonly kind: 'succeeded' }
  /** The handler asked for a later retry (`{ retryAfterMs }`): not a failure. */
  | { readonly kind: 'deferred'; readonly retryAfterMs: number }
  /** The handler gave up on the message itself (`{ deadLetter }`): dead letter now, whatever the count. */
  | { readonly kind: 'rejected'; readonly errorCode: string; readonly errorMessage: string }
  | { readonly kind: 'failed'; readonly errorCode: string; readonly errorMessage: string };

/** What the runner does with the message. */
export type Settlement =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak'; readonly delayMs: number; readonly reason: 'failed' | 'deferred' }
  | { readonly kind: 'deadLetter'; readonly errorCode: string; readonly errorMessage: string };

/** Longest wait a handler may ask for; a larger hint is cut to this (every wait has a limit). */
export const RETRY_AFTER_MS_MAX = 60 * 60 * 1_000;

/** The policy part of a consumer spec the decision needs. */
export interface RetryPolicy {
  readonly maxDeliver: number;
  readonly backoffMs: readonly number[];
}

/**
 * Decides ack, nak (with which delay) or dead letter for delivery number `deliveryCount` (from 1):
 * - succeeded → ack;
 * - failed → nak after `backoffMs[min(deliveryCount - 1, length - 1)]`, or on the last allowed
 *   delivery (`deliveryCount >= maxDeliver`) dead letter with the handler's error;
 * - deferred → nak after `retryAfterMs` (at most RETRY_AFTER_MS_MAX), or on the last allowed
 *   delivery dead letter with MESSAGING_ERR_RETRIES_EXHAUSTED;
 * - rejected → dead letter with the handler's error at once.
 */
export function settle(outcome: HandlerOutcome, deliveryCount: number, policy: RetryPolicy): Settlement {
  const lastDelivery = deliveryCount >= policy.maxDeliver;
  switch (outcome.kind) {
    case 'succeeded':
      return { kind: 'ack' };
    case 'rejected':
      return { kind: 'deadLetter', errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
    case 'deferred':
      if (lastDelivery) {
        return {
          kind: 'deadLetter',
          errorCode: MessagingErrorCodes.retriesExhausted,
          errorMessage: `the handler still asked to retry later on delivery ${deliveryCount} of at most ${policy.maxDeliver}`,
        };
      }
      return { kind: 'nak', delayMs: Math.min(outcome.retryAfterMs, RETRY_AFTER_MS_MAX), reason: 'deferred' };
    case 'failed':
      if (lastDelivery) return { kind: 'deadLetter', errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
      return { kind: 'nak', delayMs: backoffDelayMs(policy.backoffMs, deliveryCount), reason: 'failed' };
  }
}

/** The back-off after the `deliveryCount`-th failed delivery: the last step repeats. */
export function backoffDelayMs(backoffMs: readonly number[], deliveryCount: number): number {
  const index = Math.min(Math.max(deliveryCount - 1, 0), backoffMs.length - 1);
  return backoffMs[index] ?? 0;
}

/**
 * Reads a handler's return value: `{ deadLetter: { errorCode, errorMessage } }` sends the message to
 * the dead letters at once; `{ retryAfterMs }` with a finite, non-negative number is a deferral, a malformed `retryAfterMs` is a handler bug reported as a failure, and anything else
 * is success. A value without `retryAfterMs` counts as success because the handler finished
 * without throwing: its transaction has committed, and running it again would gain nothing.
 */
export function outcomeOfResult(result: unknown): HandlerOutcome {
  if (typeof result === 'object' && result !== null && 'deadLetter' in result) {
    const letter = (result as { deadLetter: unknown }).deadLetter as { errorCode?: unknown; errorMessage?: unknown } | null;
    if (letter && typeof letter.errorCode === 'string' && typeof letter.errorMessage === 'string') {
      return { kind: 'rejected', errorCode: letter.errorCode, errorMessage: letter.errorMessage };
    }
    return { kind: 'failed', errorCode: MessagingErrorCodes.invalidOption, errorMessage: 'handler returned deadLetter without a string errorCode and errorMessage' };
  }
  if (typeof result !== 'object' || result === null || !('retryAfterMs' in result)) return { kind: 'succeeded' };
  const retryAfterMs = (result as { retryAfterMs: unknown }).retryAfterMs;
  if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return { kind: 'deferred', retryAfterMs: Math.round(retryAfterMs) };
  }
  return {
    kind: 'failed',
    errorCode: MessagingErrorCodes.invalidOption,
    errorMessage: `handler returned retryAfterMs ${String(retryAfterMs)}; it must be a finite number >= 0`,
  };
}
