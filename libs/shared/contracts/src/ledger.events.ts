import { z } from 'zod';
import { defineEvent, type EventDefinition } from './define-event';

// ---------------------------------------------------------------------------------------------
// ledger: money movements. Every committed call of the ledger's transfer engine publishes one
// `transfer posted` per transfer and one `balance changed` per user account it touched, through
// the outbox, in the transaction of the movement: an event exists exactly when the movement does.
// Amounts are decimal strings of the asset's minor units (`"1500000"` = 1.5 USDT at 6 decimals).
// ---------------------------------------------------------------------------------------------

// Declared here rather than imported from events.ts, so events.ts can import this file for its
// catalogue without an import cycle.
const assetCodeSchema = z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'an asset code such as USDT');

/** An amount or a total in minor units, zero or more, as a decimal string without sign or leading zeros. */
export const minorUnitsSchema = z.string().regex(/^(0|[1-9][0-9]{0,37})$/, 'an amount in minor units (0 or more), as a decimal string');

const positiveAmountSchema = z.string().regex(/^[1-9][0-9]{0,37}$/, 'a positive amount in minor units, as a decimal string');

/** Why money moved. */
export const transferCodeSchema = z.enum([
  'deposit',
  'deposit_reversal',
  'withdrawal',
  'withdrawal_fee',
  'internal_transfer',
  'manual_adjustment',
  'plan_open',
  'plan_accrual',
  'plan_maturity',
  'referral_reward',
]);

/**
 * What a transfer did: `single` moved posted money; `pending` placed a hold; `post_pending` posted a
 * hold (all or part of it; the rest is released); `void_pending` released a hold.
 */
export const transferKindSchema = z.enum(['single', 'pending', 'post_pending', 'void_pending']);

/** Account kinds as they appear in events. */
export const accountKindSchema = z.enum([
  'user_available',
  'user_locked',
  'deposits_clearing',
  'withdrawals_in_flight',
  'fees',
  'plan_interest_expense',
  'referral_expense',
  'manual_adjustments',
  'negative_exposure',
]);

/** Most metadata entries one transfer carries. */
export const TRANSFER_METADATA_ENTRIES_MAX = 16;
/** Longest metadata key. */
export const TRANSFER_METADATA_KEY_LENGTH_MAX = 64;
/** Longest metadata value. */
export const TRANSFER_METADATA_VALUE_LENGTH_MAX = 256;
/** Longest transfer reference (a withdrawal id, a deposit key such as `31337:0x…:3`). */
export const TRANSFER_REFERENCE_LENGTH_MAX = 200;
/** Most transfers one ledger call commits together, hence most transfer ids in one `balance changed`. */
export const LINKED_TRANSFERS_MAX = 100;

const transferMetadataSchema = z
  .record(z.string().min(1).max(TRANSFER_METADATA_KEY_LENGTH_MAX), z.string().max(TRANSFER_METADATA_VALUE_LENGTH_MAX))
  .refine((metadata) => Object.keys(metadata).length <= TRANSFER_METADATA_ENTRIES_MAX, `at most ${TRANSFER_METADATA_ENTRIES_MAX} metadata entries`);

/** One side of a transfer: the account, its kind, and its owner (null for a system account). */
const legSchema = z.object({
  accountId: z.uuid(),
  kind: accountKindSchema,
  userId: z.uuid().nullable(),
});

export const transferPostedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'transfer',
  name: 'posted',
  version: 1,
  description:
    'The ledger committed a transfer: money moved (`single`), a hold was placed (`pending`), or a hold was posted ' +
    '(`post_pending`) or released (`void_pending`, also when it timed out). Transfers are immutable; a correction is ' +
    'another transfer. Transfers of one call share `batchId` and committed together. `subject` is the transfer id.',
  schema: z.object({
    transferId: z.uuid(),
    batchId: z.uuid(),
    kind: transferKindSchema,
    code: transferCodeSchema,
    asset: assetCodeSchema,
    /** For `post_pending` the amount posted; for `void_pending` the amount released. */
    amount: positiveAmountSchema,
    debit: legSchema,
    credit: legSchema,
    /** The hold a `post_pending` or `void_pending` resolves. */
    pendingId: z.uuid().nullable(),
    /** When a `pending` hold voids itself if nobody resolves it. */
    timeoutAt: z.iso.datetime({ offset: true }).nullable(),
    reference: z.string().min(1).max(TRANSFER_REFERENCE_LENGTH_MAX).nullable(),
    metadata: transferMetadataSchema,
    postedAt: z.iso.datetime({ offset: true }),
  }),
});

export const balanceChangedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'balance',
  name: 'changed',
  version: 1,
  description:
    "A user account's totals after a committed ledger call that touched it (one event per account per call). " +
    '`available` = creditsPosted - debitsPosted - debitsPending, never negative. Events of one account are ' +
    'published in commit order. `subject` is the user id.',
  schema: z.object({
    accountId: z.uuid(),
    userId: z.uuid(),
    asset: assetCodeSchema,
    kind: z.enum(['user_available', 'user_locked']),
    debitsPosted: minorUnitsSchema,
    creditsPosted: minorUnitsSchema,
    debitsPending: minorUnitsSchema,
    creditsPending: minorUnitsSchema,
    available: minorUnitsSchema,
    /** The transfers of the call that changed this account. */
    transferIds: z.array(z.uuid()).min(1).max(LINKED_TRANSFERS_MAX),
    changedAt: z.iso.datetime({ offset: true }),
  }),
});

export const referralRewardPaidV1 = defineEvent({
  context: 'ledger',
  aggregate: 'referral',
  name: 'reward-paid',
  version: 1,
  description:
    "A referred user's first deposit was credited, so the ledger paid their referrer the configured reward from the " +
    'referral expense account. Paid at most once per referred user, whatever happens to later deposits. `subject` is ' +
    "the referrer's user id.",
  schema: z.object({
    referrerUserId: z.uuid(),
    referredUserId: z.uuid(),
    asset: assetCodeSchema,
    amount: positiveAmountSchema,
    transferId: z.uuid(),
    paidAt: z.iso.datetime({ offset: true }),
  }),
});

export const userBlacklistChangedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'user',
  name: 'blacklist-changed',
  version: 1,
  description:
    'An admin put a user on the blacklist (`blacklisted: true`) or lifted it, with a reason (`blacklist-user` command). ' +
    "While listed, the user's withdrawals wait for an admin. Published only when the state changed. `subject` is the user id.",
  schema: z.object({
    userId: z.uuid(),
    blacklisted: z.boolean(),
    reason: z.string().min(1).max(256),
    adminId: z.uuid(),
    changedAt: z.iso.datetime({ offset: true }),
  }),
});

/** The money-movement events of this file, for the catalogue (`allEvents`) and the docs. */
export const ledgerMovementEvents: readonly EventDefinition[] = [transferPostedV1, balanceChangedV1];
