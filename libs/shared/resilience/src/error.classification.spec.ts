// Proves how isTransient classifies failures: network and connection codes (also in causes and
// AggregateError members), timeouts and open breakers are transient; adapters' explicit
// PermanentError, aborts and unknown errors are not. Table-driven.
import { describe, expect, it } from 'vitest';
import { BreakerOpenError, OperationAbortedError, PermanentError, TimeoutError, TransientError } from './errors';
import { isTransient } from './error.classification';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('isTransient', () => {
  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED'), true],
    ['ECONNRESET', withCode('ECONNRESET'), true],
    ['ETIMEDOUT', withCode('ETIMEDOUT'), true],
    ['EAI_AGAIN', withCode('EAI_AGAIN'), true],
    ['fetch failed with a socket cause', new TypeError('fetch failed', { cause: withCode('UND_ERR_SOCKET') }), true],
    ['an AggregateError of refused connections', Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), { code: undefined }), true],
    ['a PostgreSQL serialization failure', withCode('40001'), true],
    ['a postgres.js closed connection', withCode('CONNECTION_CLOSED'), true],
    ['TimeoutError', new TimeoutError(100), true],
    ['the DOMException of AbortSignal.timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), true],
    ['a plain AbortError', new DOMException('This operation was aborted', 'AbortError'), false],
    ['BreakerOpenError', new BreakerOpenError('rpc', 'open'), true],
    ['TransientError', new TransientError('try later'), true],
    ['PermanentError, even with a transient cause', new PermanentError('forbidden', { cause: withCode('ECONNRESET') }), false],
    ['OperationAbortedError', new OperationAbortedError(), false],
    ['a unique violation', withCode('23505'), false],
    ['ENOENT', withCode('ENOENT'), false],
    ['a plain Error', new Error('bug'), false],
    ['a string', 'ECONNREFUSED', false],
    ['undefined', undefined, false],
  ])('%s → %s', (_case, error, expected) => {
    expect(isTransient(error)).toBe(expected);
  });

  it('stops following a cycle of causes', () => {
    const first = new Error('a');
    const second = new Error('b', { cause: first });
    Object.assign(first, { cause: second });
    expect(isTransient(first)).toBe(false);
  });
});
