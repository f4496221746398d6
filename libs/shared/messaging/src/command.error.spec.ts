// Proves how errorBodyOf turns a handler's error into a reply body, table-driven: a CommandError
// keeps everything; errors of other libs with a stable `<SCOPE>_ERR_<NAME>` code keep their code,
// take `retryable` or `transient` (else not retryable), get their message masked and their details
// only when they are a plain JSON object within the limit; everything else becomes a generic
// retryable COMMAND_ERR_INTERNAL. Also the bounds on messages and listed issues.
import { describe, expect, it } from 'vitest';
import { MessagingError, MessagingErrorCodes } from './errors';
import {
  COMMAND_ERROR_DETAILS_BYTES_MAX,
  COMMAND_ERROR_ISSUES_MAX,
  COMMAND_ERROR_MESSAGE_LENGTH_MAX,
  CommandError,
  errorBody,
  errorBodyOf,
  issuesDetails,
} from './command.error';

const INTERNAL = { code: 'COMMAND_ERR_INTERNAL', message: 'the command failed unexpectedly on the server; it may be retried', retryable: true };

class LedgerLikeError extends Error {
  override readonly name = 'LedgerLikeError';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

describe('errorBodyOf', () => {
  it.each([
    {
      what: 'a CommandError',
      error: new CommandError('LEDGER_ERR_INSUFFICIENT_FUNDS', 'not enough', { details: { availableMinor: '10' } }),
      body: { code: 'LEDGER_ERR_INSUFFICIENT_FUNDS', message: 'not enough', retryable: false, details: { availableMinor: '10' } },
      failure: 'rejected',
    },
    {
      what: 'a retryable CommandError',
      error: new CommandError('LEDGER_ERR_UNAVAILABLE', 'database away', { retryable: true }),
      body: { code: 'LEDGER_ERR_UNAVAILABLE', message: 'database away', retryable: true },
      failure: 'retryable',
    },
    {
      what: 'a coded error with details (LedgerError-like)',
      error: new LedgerLikeError('LEDGER_ERR_ACCOUNT_NOT_FOUND', 'no such account', { accountId: 'a-1' }),
      body: { code: 'LEDGER_ERR_ACCOUNT_NOT_FOUND', message: 'no such account', retryable: false, details: { accountId: 'a-1' } },
      failure: 'rejected',
    },
    {
      what: 'a transient coded error (MessagingError)',
      error: new MessagingError(MessagingErrorCodes.timeout, 'kv read did not finish', { transient: true }),
      body: { code: 'MESSAGING_ERR_TIMEOUT', message: 'kv read did not finish', retryable: true },
      failure: 'retryable',
    },
    {
      what: 'a coded error whose `retryable` wins over `transient`',
      error: Object.assign(new Error('x'), { code: 'TEST_ERR_BOTH', retryable: false, transient: true }),
      body: { code: 'TEST_ERR_BOTH', message: 'x', retryable: false },
      failure: 'rejected',
    },
    {
      what: 'a coded error with secrets and personal data in its message',
      error: Object.assign(new Error('paid 0x52908400098527886E0F7030069857D2E4169EE7 via postgres://u:pw@db/x'), { code: 'TEST_ERR_MASKED' }),
      body: { code: 'TEST_ERR_MASKED', message: expect.not.stringMatching(/pw@|0x52908400098527886E0F7030069857D2E4169EE7/), retryable: false },
      failure: 'rejected',
    },
    { what: 'a plain Error', error: new Error('boom at postgres://u:pw@db/x'), body: INTERNAL, failure: 'internal' },
    { what: 'a driver error with a SQLSTATE', error: Object.assign(new Error('unique violation'), { code: '23505' }), body: INTERNAL, failure: 'internal' },
    { what: 'a Node socket error', error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), body: INTERNAL, failure: 'internal' },
    { what: 'a CommandError with a malformed code', error: new CommandError('oops', 'bad code'), body: INTERNAL, failure: 'internal' },
    { what: 'a thrown string', error: 'just a string', body: INTERNAL, failure: 'internal' },
    { what: 'undefined', error: undefined, body: INTERNAL, failure: 'internal' },
  ])('maps $what', ({ error, body, failure }) => {
    const mapped = errorBodyOf(error);
    expect(mapped.body).toEqual(body);
    expect(mapped.failure).toBe(failure);
  });

  it.each([
    { what: 'an array', details: ['a'] },
    { what: 'a bigint inside', details: { amount: 10n } },
    { what: 'a class instance', details: new Map([['a', 1]]) },
    { what: 'more than the size limit', details: { blob: 'x'.repeat(COMMAND_ERROR_DETAILS_BYTES_MAX) } },
  ])('leaves out details that are $what, and says so', ({ details }) => {
    const mapped = errorBodyOf(Object.assign(new Error('refused'), { code: 'TEST_ERR_DETAILS', details }));
    expect(mapped.body).toEqual({ code: 'TEST_ERR_DETAILS', message: 'refused', retryable: false });
    expect(mapped.detailsDropped).toBe(true);
  });
});

describe('reply bounds', () => {
  it('cuts a message to the contracts limit', () => {
    const body = errorBody('TEST_ERR_LONG', 'm'.repeat(COMMAND_ERROR_MESSAGE_LENGTH_MAX + 10), false, undefined);
    expect(body.message).toHaveLength(COMMAND_ERROR_MESSAGE_LENGTH_MAX);
    expect(body.message.endsWith('…')).toBe(true);
  });

  it('lists at most COMMAND_ERROR_ISSUES_MAX issues and counts the rest', () => {
    const issues = Array.from({ length: COMMAND_ERROR_ISSUES_MAX + 3 }, (_, index) => ({ path: ['items', index], code: 'custom', message: 'bad' }));
    const details = issuesDetails(issues);
    expect(details['issues']).toHaveLength(COMMAND_ERROR_ISSUES_MAX);
    expect(details['issuesOmitted']).toBe(3);
    expect((details['issues'] as unknown[])[1]).toEqual({ path: ['items', 1], code: 'custom', message: 'bad' });
  });

  it('turns a CommandError into its reply body', () => {
    expect(new CommandError('TEST_ERR_X', 'x', { retryable: true }).toBody()).toEqual({ code: 'TEST_ERR_X', message: 'x', retryable: true });
  });
});
