// Proves the shape checks of transfer requests, table-driven: each malformed transfer is refused
// with LEDGER_ERR_INVALID_TRANSFER (or LEDGER_ERR_LIMIT / LEDGER_ERR_PENDING_ALREADY_RESOLVED) and a
// message naming the transfer, before any database work; each well-formed shape is normalised
// (kind, timeout, defaults) as the engine expects.
import { describe, expect, it } from 'vitest';
import { AMOUNT_MINOR_MAX, newId } from '@strongbox/shared-domain';
import { LedgerError, LedgerErrorCodes } from './errors';
import { TransferCodes } from './ledger.schema';
import { TRANSFERS_PER_CALL_MAX, validateTransferInputs, type TransferInput } from './transfers.validation';

const now = new Date('2030-01-01T00:00:00Z');
const debit = newId();
const credit = newId();

function plain(overrides: Partial<Record<keyof TransferInput, unknown>> = {}): TransferInput {
  return { id: newId(), debitAccountId: debit, creditAccountId: credit, amount: 10n, code: TransferCodes.internalTransfer, ...overrides } as TransferInput;
}

function refusal(transfers: readonly TransferInput[]): LedgerError {
  try {
    validateTransferInputs(transfers, now);
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('validateTransferInputs', () => {
  it.each<[string, Partial<Record<keyof TransferInput, unknown>>, RegExp]>([
    ['a zero amount', { amount: 0n }, /greater than zero/],
    ['a negative amount', { amount: -1n }, /greater than zero/],
    ['a missing amount', { amount: undefined }, /bigint/],
    ['a number amount', { amount: 10 }, /bigint/],
    ['an amount above the maximum', { amount: AMOUNT_MINOR_MAX + 1n }, /largest amount/],
    ['one account on both sides', { creditAccountId: debit }, /same account/],
    ['a missing debit account', { debitAccountId: undefined }, /debitAccountId/],
    ['an upper-case account id', { creditAccountId: credit.toUpperCase() }, /creditAccountId/],
    ['an id that is not a UUIDv7', { id: '6ba7b810-9dad-11d1-80b4-00c04fd430c8' }, /UUIDv7/],
    ['an unknown code', { code: 'gift' }, /code "gift"/],
    ['an empty reference', { reference: '' }, /reference/],
    ['a reference too long', { reference: 'r'.repeat(201) }, /reference/],
    ['metadata with a number', { metadata: { count: 1 } }, /metadata value/],
    ['metadata with too many entries', { metadata: Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v'])) }, /at most 16/],
    ['metadata as an array', { metadata: ['a'] }, /metadata must be an object/],
    ['a hold that is also a post', { pending: {}, postPendingId: newId() }, /at most one of/],
    ['a post that is also a void', { postPendingId: newId(), voidPendingId: newId() }, /at most one of/],
    ['a hold with a timeout at now', { pending: { timeoutAt: now } }, /not after now/],
    ['a hold with an invalid timeout', { pending: { timeoutAt: new Date(Number.NaN) } }, /valid Date/],
    ['a post of a malformed id', { postPendingId: 'x' }, /postPendingId/],
    ['a post with a negative amount', { postPendingId: newId(), amount: -1n }, /greater than zero/],
  ])('refuses %s', (_name, overrides, message) => {
    const error = refusal([plain(overrides)]);
    expect(error.code).toBe(LedgerErrorCodes.invalidTransfer);
    expect(error.message).toMatch(/^transfer #0/);
    expect(error.message).toMatch(message);
    expect(error.details['index']).toBe('0');
  });

  it('refuses an empty call, too many transfers, an id twice, a hold resolved in its own call, and a hold resolved twice', () => {
    expect(refusal([]).code).toBe(LedgerErrorCodes.invalidTransfer);
    const tooMany = refusal(Array.from({ length: TRANSFERS_PER_CALL_MAX + 1 }, () => plain()));
    expect(tooMany.code).toBe(LedgerErrorCodes.limit);
    const twice = plain();
    expect(refusal([twice, twice]).message).toMatch(/used twice/);
    const hold = plain({ pending: {} });
    expect(refusal([hold, plain({ postPendingId: hold.id })]).message).toMatch(/call that creates it/);
    const pendingId = newId();
    const resolvedTwice = refusal([plain({ postPendingId: pendingId }), plain({ voidPendingId: pendingId })]);
    expect(resolvedTwice.code).toBe(LedgerErrorCodes.pendingAlreadyResolved);
    expect(resolvedTwice.details).toMatchObject({ pendingId });
  });

  it('names the failing transfer by its index in the call', () => {
    const error = refusal([plain(), plain({ amount: 0n })]);
    expect(error.message).toMatch(/^transfer #1 \(/);
    expect(error.details['index']).toBe('1');
  });

  it('normalises the four shapes', () => {
    const timeoutAt = new Date(now.getTime() + 1_000);
    const pendingId = newId();
    const [single, hold, post, voiding] = validateTransferInputs(
      [
        plain({ reference: 'ref', metadata: { a: 'b' } }),
        plain({ pending: { timeoutAt } }),
        { id: newId(), postPendingId: pendingId, code: TransferCodes.withdrawal },
        { id: newId(), voidPendingId: newId(), debitAccountId: debit, amount: 0n, code: TransferCodes.withdrawal },
      ],
      now,
    );
    expect(single).toMatchObject({ kind: 'single', amount: 10n, timeoutAt: null, reference: 'ref', metadata: { a: 'b' } });
    expect(hold).toMatchObject({ kind: 'pending', timeoutAt, reference: null, metadata: {} });
    expect(post).toMatchObject({ kind: 'post_pending', pendingId, amount: 0n, debitAccountId: null, creditAccountId: null });
    expect(voiding).toMatchObject({ kind: 'void_pending', amount: 0n, debitAccountId: debit, creditAccountId: null });
  });
});
