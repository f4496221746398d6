// Proves the ledger's money-movement events: `transfer posted` and `balance changed` round-trip
// (create → JSON → parse) with realistic samples of each transfer kind, and refuse what would carry
// money wrongly — a negative, signed, fractional, exponent or padded amount, a zero transfer
// amount, a float instead of a string, an unknown code or kind, too much metadata, an empty list of
// transfers. `minorUnitsSchema` is tested table-driven at its bounds (38 digits).
import { describe, expect, it } from 'vitest';
import { ContractError, ContractErrorCodes } from './errors';
import { balanceChangedV1, ledgerMovementEvents, minorUnitsSchema, TRANSFER_METADATA_ENTRIES_MAX, transferPostedV1 } from './ledger.events';

const userId = '01900000-0000-7000-8000-0000000000a1';
const accountId = '01900000-0000-7000-8000-0000000000b1';
const systemAccountId = '01900000-0000-7000-8000-0000000000c1';
const transferId = '01900000-0000-7000-8000-0000000000d1';
const pendingId = '01900000-0000-7000-8000-0000000000d0';
const batchId = '01900000-0000-7000-8000-0000000000e1';

const transferData = {
  transferId,
  batchId,
  kind: 'post_pending',
  code: 'withdrawal',
  asset: 'USDT',
  amount: '25000000',
  debit: { accountId, kind: 'user_available', userId },
  credit: { accountId: systemAccountId, kind: 'withdrawals_in_flight', userId: null },
  pendingId,
  timeoutAt: null,
  reference: '01900000-0000-7000-8000-0000000000f1',
  metadata: { reason: 'confirmed on chain' },
  postedAt: '2030-01-01T00:00:00.000Z',
};

const balanceData = {
  accountId,
  userId,
  asset: 'USDT',
  kind: 'user_available',
  debitsPosted: '25000000',
  creditsPosted: '100000000',
  debitsPending: '0',
  creditsPending: '0',
  available: '75000000',
  transferIds: [transferId],
  changedAt: '2030-01-01T00:00:00.000Z',
};

function roundTrip<T>(definition: { create(input: never): T; parse(event: unknown): T }, input: unknown): T {
  const event = definition.create(input as never);
  return definition.parse(JSON.parse(JSON.stringify(event)));
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ContractError) {
      expect(error.code).toBe(ContractErrorCodes.invalidData);
      return [...error.issues];
    }
    throw error;
  }
  throw new Error('expected a ContractError');
}

describe('minorUnitsSchema', () => {
  it.each(['0', '1', '100', '9'.repeat(38)])('accepts %s', (text) => {
    expect(minorUnitsSchema.safeParse(text).success).toBe(true);
  });

  it.each(['', '-1', '+1', '01', '1.5', '1e3', ' 1', '9'.repeat(39), '0x10'])('refuses %j', (text) => {
    expect(minorUnitsSchema.safeParse(text).success).toBe(false);
  });

  it('refuses numbers and bigints: amounts travel as strings', () => {
    expect(minorUnitsSchema.safeParse(1).success).toBe(false);
    expect(minorUnitsSchema.safeParse(1n).success).toBe(false);
  });
});

describe('ledger.evt.transfer.posted.v1', () => {
  it('round-trips each kind of transfer', () => {
    const samples = [
      transferData,
      { ...transferData, kind: 'single', code: 'internal_transfer', pendingId: null, reference: null, metadata: {} },
      { ...transferData, kind: 'pending', pendingId: null, timeoutAt: '2030-01-02T00:00:00.000Z' },
      { ...transferData, kind: 'void_pending', metadata: { reason: 'expired' } },
    ];
    for (const data of samples) {
      const parsed = roundTrip(transferPostedV1, { source: 'strongbox/ledger', subject: data.transferId, data });
      expect(parsed.type).toBe('ledger.evt.transfer.posted.v1');
      expect(parsed.data).toEqual(data);
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ['a zero amount', { amount: '0' }],
    ['a negative amount', { amount: '-5' }],
    ['a fractional amount', { amount: '2.5' }],
    ['a number amount', { amount: 25 }],
    ['an unknown code', { code: 'gift' }],
    ['an unknown kind', { kind: 'reversal' }],
    ['a lower-case asset', { asset: 'usdt' }],
    ['an unknown account kind', { debit: { accountId, kind: 'wallet', userId } }],
    ['too much metadata', { metadata: Object.fromEntries(Array.from({ length: TRANSFER_METADATA_ENTRIES_MAX + 1 }, (_, index) => [`k${index}`, 'v'])) }],
    ['an empty reference', { reference: '' }],
  ])('refuses %s', (_name, change) => {
    expect(problemsOf(() => transferPostedV1.create({ source: 'strongbox/ledger', data: { ...transferData, ...change } as never })).length).toBeGreaterThan(0);
  });
});

describe('ledger.evt.balance.changed.v1', () => {
  it('round-trips a balance', () => {
    const parsed = roundTrip(balanceChangedV1, { source: 'strongbox/ledger', subject: userId, data: balanceData });
    expect(parsed.type).toBe('ledger.evt.balance.changed.v1');
    expect(parsed.data).toEqual(balanceData);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a negative available', { available: '-1' }],
    ['a system account kind', { kind: 'fees' }],
    ['no transfers', { transferIds: [] }],
    ['a missing user', { userId: null }],
    ['a total with a sign', { creditsPosted: '+5' }],
  ])('refuses %s', (_name, change) => {
    expect(problemsOf(() => balanceChangedV1.create({ source: 'strongbox/ledger', data: { ...balanceData, ...change } as never })).length).toBeGreaterThan(0);
  });
});

describe('ledgerMovementEvents', () => {
  it('lists both events, for the catalogue', () => {
    expect(ledgerMovementEvents.map((definition) => definition.type)).toEqual(['ledger.evt.transfer.posted.v1', 'ledger.evt.balance.changed.v1']);
  });
});
