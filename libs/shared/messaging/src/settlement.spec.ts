// Proves the settlement table of the consumer runner (README "Semantics"), row by row, as a pure
// function: which outcome on which delivery is acked, naked with which delay, or dead-lettered.
import { describe, expect, it } from 'vitest';
import { MessagingErrorCodes } from './errors';
import { RETRY_AFTER_MS_MAX, backoffDelayMs, outcomeOfResult, settle, type HandlerOutcome } from './settlement';

const policy = { maxDeliver: 3, backoffMs: [100, 1_000] };
const failed: HandlerOutcome = { kind: 'failed', errorCode: 'LEDGER_ERR_X', errorMessage: 'Error: x' };

describe('settle', () => {
  it.each([
    ['success on the first delivery', { kind: 'succeeded' }, 1, { kind: 'ack' }],
    ['success on the last delivery', { kind: 'succeeded' }, 3, { kind: 'ack' }],
    ['failure on delivery 1 → first back-off step', failed, 1, { kind: 'nak', delayMs: 100, reason: 'failed' }],
    ['failure on delivery 2 → second step', failed, 2, { kind: 'nak', delayMs: 1_000, reason: 'failed' }],
    ['failure on the last delivery → dead letter with its code', failed, 3, { kind: 'deadLetter', errorCode: 'LEDGER_ERR_X', errorMessage: 'Error: x' }],
    ['deferral → nak with the asked delay', { kind: 'deferred', retryAfterMs: 2_500 }, 1, { kind: 'nak', delayMs: 2_500, reason: 'deferred' }],
    [
      "the handler's own rejection → dead letter on the first delivery",
      { kind: 'rejected', errorCode: 'X_POISON', errorMessage: 'failed five times' },
      1,
      { kind: 'deadLetter', errorCode: 'X_POISON', errorMessage: 'failed five times' },
    ],
    ['an excessive deferral is cut', { kind: 'deferred', retryAfterMs: RETRY_AFTER_MS_MAX * 10 }, 2, { kind: 'nak', delayMs: RETRY_AFTER_MS_MAX, reason: 'deferred' }],
  ] as const)('%s', (_what, outcome, deliveryCount, expected) => {
    expect(settle(outcome as HandlerOutcome, deliveryCount, policy)).toEqual(expected);
  });

  it('dead-letters a deferral on the last delivery with MESSAGING_ERR_RETRIES_EXHAUSTED', () => {
    expect(settle({ kind: 'deferred', retryAfterMs: 10 }, 3, policy)).toMatchObject({
      kind: 'deadLetter',
      errorCode: MessagingErrorCodes.retriesExhausted,
    });
  });

  it('dead-letters a failure on the first delivery when only one is allowed', () => {
    expect(settle(failed, 1, { maxDeliver: 1, backoffMs: [100] })).toMatchObject({ kind: 'deadLetter' });
  });
});

describe('backoffDelayMs', () => {
  it.each([
    [[100, 200, 300], 1, 100],
    [[100, 200, 300], 3, 300],
    [[100, 200, 300], 9, 300],
    [[50], 0, 50],
  ])('steps %j at delivery %i → %i ms', (steps, deliveryCount, expected) => {
    expect(backoffDelayMs(steps, deliveryCount)).toBe(expected);
  });
});

describe('outcomeOfResult', () => {
  it.each([
    ['nothing', undefined, { kind: 'succeeded' }],
    ['null', null, { kind: 'succeeded' }],
    ['an object without retryAfterMs', { duplicate: true }, { kind: 'succeeded' }],
    ['{ retryAfterMs: 1500 }', { retryAfterMs: 1_500 }, { kind: 'deferred', retryAfterMs: 1_500 }],
    ['{ deadLetter }', { deadLetter: { errorCode: 'X_POISON', errorMessage: 'no' } }, { kind: 'rejected', errorCode: 'X_POISON', errorMessage: 'no' }],
    ['a malformed deadLetter', { deadLetter: { errorCode: 5 } }, { kind: 'failed', errorCode: 'MESSAGING_ERR_INVALID_OPTION', errorMessage: 'handler returned deadLetter without a string errorCode and errorMessage' }],
    ['a fractional delay, rounded', { retryAfterMs: 10.6 }, { kind: 'deferred', retryAfterMs: 11 }],
    ['{ retryAfterMs: 0 }', { retryAfterMs: 0 }, { kind: 'deferred', retryAfterMs: 0 }],
  ])('%s', (_what, result, expected) => {
    expect(outcomeOfResult(result)).toEqual(expected);
  });

  it.each([
    ['a negative delay', { retryAfterMs: -1 }],
    ['NaN', { retryAfterMs: Number.NaN }],
    ['Infinity', { retryAfterMs: Number.POSITIVE_INFINITY }],
    ['a string', { retryAfterMs: '100' }],
  ])('reports %s as a failure with MESSAGING_ERR_INVALID_OPTION', (_what, result) => {
    expect(outcomeOfResult(result)).toMatchObject({ kind: 'failed', errorCode: MessagingErrorCodes.invalidOption });
  });
});
