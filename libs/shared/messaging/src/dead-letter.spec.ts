// Proves what a dead letter's headers hold: the original headers minus the server's `Nats-*` ones,
// where the message came from and why it failed, with secrets masked and no stack; and how an
// error's stable code and message are read.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DeadLetterHeaders, deadLetterHeaders, errorCodeOf, errorMessageOf } from './dead-letter';
import { MessagingError, MessagingErrorCodes } from './errors';

const info = {
  subject: 'sb.ledger.evt.account.opened.v1',
  stream: 'SB_LEDGER',
  streamSeq: 42,
  consumer: 'notifier-welcome-on-account-opened',
  deliveryCount: 10,
  errorCode: 'NOTIFY_ERR_X',
  errorMessage: 'Error: could not reach postgres://notifier:hunter2@db/notify\n    at handler (/app/x.ts:1:1)',
  failedAt: new Date('2026-01-02T03:04:05.000Z'),
};

describe('deadLetterHeaders', () => {
  it('keeps the original headers except the server ones, and adds where and why', () => {
    const headers = deadLetterHeaders({ 'Nats-Msg-Id': 'evt-1', 'ce-id': 'evt-1', traceparent: 'tp', 'Sb-Dlq-Error-Code': 'forged' }, info);
    expect(headers).not.toHaveProperty('Nats-Msg-Id');
    expect(headers).toMatchObject({
      'ce-id': 'evt-1',
      traceparent: 'tp',
      [DeadLetterHeaders.subject]: info.subject,
      [DeadLetterHeaders.stream]: 'SB_LEDGER',
      [DeadLetterHeaders.streamSeq]: '42',
      [DeadLetterHeaders.consumer]: info.consumer,
      [DeadLetterHeaders.deliveryCount]: '10',
      [DeadLetterHeaders.errorCode]: 'NOTIFY_ERR_X',
      [DeadLetterHeaders.failedAt]: '2026-01-02T03:04:05.000Z',
    });
  });

  it('masks credentials and keeps the message on one line', () => {
    const message = deadLetterHeaders({}, info)[DeadLetterHeaders.errorMessage]!;
    expect(message).not.toContain('hunter2');
    expect(message).not.toMatch(/[\r\n]/);
    expect(message).toContain('could not reach');
  });

  it('cuts a long message', () => {
    const message = deadLetterHeaders({}, { ...info, errorMessage: 'x'.repeat(10_000) })[DeadLetterHeaders.errorMessage]!;
    expect(message.length).toBeLessThanOrEqual(1_024);
  });
});

describe('errorCodeOf', () => {
  it.each([
    ['a lib error', new MessagingError(MessagingErrorCodes.timeout, 'x'), MessagingErrorCodes.timeout],
    ['an error with a stable code', Object.assign(new Error('x'), { code: 'LEDGER_ERR_INSUFFICIENT_FUNDS' }), 'LEDGER_ERR_INSUFFICIENT_FUNDS'],
    ['an errno code', Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['a lower-case code', Object.assign(new Error('x'), { code: 'oops' }), MessagingErrorCodes.handlerFailed],
    ['a numeric code', Object.assign(new Error('x'), { code: 500 }), MessagingErrorCodes.handlerFailed],
    ['a plain error', new Error('x'), MessagingErrorCodes.handlerFailed],
    ['a thrown string', 'boom', MessagingErrorCodes.handlerFailed],
  ])('%s', (_what, error, expected) => {
    expect(errorCodeOf(error)).toBe(expected);
  });
});

describe('errorMessageOf', () => {
  it('lists validation issues compactly', () => {
    const result = z.object({ data: z.object({ n: z.number() }), id: z.string() }).safeParse({ data: { n: 'x' } });
    expect(errorMessageOf(result.error)).toMatch(/^ZodError: data\.n: .+; id: .+$/);
  });

  it('names the error and never includes the stack', () => {
    const error = new TypeError('bad\n  thing');
    expect(errorMessageOf(error)).toBe('TypeError: bad thing');
    expect(errorMessageOf(42)).toBe('non-error thrown: number');
  });
});
