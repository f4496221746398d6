import { sql } from 'drizzle-orm';
import { boolean, check, customType, foreignKey, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// The ledger's own tables (search_path selects `<namespace>_ledger`). The model follows TigerBeetle:
// an account keeps four running totals, a transfer moves an amount from one account's debits to
// another account's credits, and a pending transfer (a hold) reserves it until it is posted or voided.
export { idempotencyKeysTable, inboxTable, outboxTable } from '@strongbox/shared-db';

// ---------------------------------------------------------------------------------------------
// Column types
// ---------------------------------------------------------------------------------------------

/** Largest value a `numeric(39,0)` column holds: 10^39 - 1. Totals stay below it or the write fails. */
export const MINOR_UNITS_COLUMN_MAX = 10n ** 39n - 1n;

const MINOR_UNITS_TEXT_PATTERN = /^-?(0|[1-9][0-9]*)$/;

/**
 * An amount in minor units: `numeric(39,0)` in SQL, `bigint` in TypeScript. postgres.js hands
 * numeric values over as text and takes them as text, so the value never passes through a float.
 * 39 digits hold a sum of many 38-digit amounts (the largest single amount is 10^38 - 1).
 */
export const minorUnits = customType<{ data: bigint; driverData: string }>({
  dataType() {
    return 'numeric(39, 0)';
  },
  toDriver(value: bigint): string {
    if (typeof value !== 'bigint') throw new TypeError(`minor units must be a bigint, got ${typeof value}`);
    return value.toString();
  },
  fromDriver(value: string): bigint {
    // A scale other than 0 (`12.0`) cannot come from a numeric(39,0) column; refuse it loudly.
    const text = String(value);
    if (!MINOR_UNITS_TEXT_PATTERN.test(text)) throw new TypeError(`not an integer amount in minor units: ${JSON.stringify(text)}`);
    return BigInt(text);
  },
});

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

/**
 * Account kinds. A user has one `user_available` (spendable) and one `user_locked` (money in plan
 * deposits) account per asset. The system accounts exist once per asset, carry no user and no
 * balance flag; see README.md ("System accounts") for why none of them may be limited.
 */
export const AccountKinds = {
  userAvailable: 'user_available',
  userLocked: 'user_locked',
  /** Counterpart of every chain deposit credited (debited), and of its reversal (credited). */
  depositsClearing: 'deposits_clearing',
  /** Counterpart of withdrawal holds and of the posted withdrawals that left on chain. */
  withdrawalsInFlight: 'withdrawals_in_flight',
  /** Withdrawal fees collected. */
  fees: 'fees',
  /** Interest paid on plan deposits (debited by each accrual). */
  planInterestExpense: 'plan_interest_expense',
  /** Referral rewards paid (debited by each reward). */
  referralExpense: 'referral_expense',
  /** Counterpart of admin corrections, either way. */
  manualAdjustments: 'manual_adjustments',
  /** Absorbs what a user account cannot cover (a deposit reverted after it was spent); watched by an alert. */
  negativeExposure: 'negative_exposure',
} as const;
export type AccountKind = (typeof AccountKinds)[keyof typeof AccountKinds];

/** Kinds owned by a user: limited by `debits_must_not_exceed_credits`, so they never go below zero. */
export const USER_ACCOUNT_KINDS = [AccountKinds.userAvailable, AccountKinds.userLocked] as const;
export type UserAccountKind = (typeof USER_ACCOUNT_KINDS)[number];

/** Kinds that exist once per asset and belong to no user. */
export const SYSTEM_ACCOUNT_KINDS = [
  AccountKinds.depositsClearing,
  AccountKinds.withdrawalsInFlight,
  AccountKinds.fees,
  AccountKinds.planInterestExpense,
  AccountKinds.referralExpense,
  AccountKinds.manualAdjustments,
  AccountKinds.negativeExposure,
] as const;
export type SystemAccountKind = (typeof SYSTEM_ACCOUNT_KINDS)[number];

/** `'user_available', 'user_locked'` for the SQL of the checks below. */
const USER_KINDS_SQL = sql.raw(USER_ACCOUNT_KINDS.map((kind) => `'${kind}'`).join(', '));

/**
 * Ledger accounts. Opened once per (user, asset, kind) or (asset, system kind); never deleted.
 * The four totals only change together with a transfer (see transfers.engine.ts); each equals the
 * sum over the account's transfers, which `checkInvariants` proves.
 */
export const accountsTable = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey(),
    /** Owner: the user id from `bot.evt.user.registered.v1`; null for system accounts. */
    userId: uuid('user_id'),
    /** Asset code, e.g. `USDT`; amounts on this account are in its minor units. */
    asset: text('asset').notNull(),
    kind: text('kind').$type<AccountKind>().notNull(),
    /** Posted amounts that left this account (it was the debit side). */
    debitsPosted: minorUnits('debits_posted').notNull().default(sql`0`),
    /** Posted amounts that arrived on this account (it was the credit side). */
    creditsPosted: minorUnits('credits_posted').notNull().default(sql`0`),
    /** Held amounts that will leave this account if their pending transfer is posted. */
    debitsPending: minorUnits('debits_pending').notNull().default(sql`0`),
    /** Held amounts that will arrive on this account if their pending transfer is posted. */
    creditsPending: minorUnits('credits_pending').notNull().default(sql`0`),
    /** Rule: debits_posted + debits_pending <= credits_posted (the account never goes below zero). Set on every user account. */
    debitsMustNotExceedCredits: boolean('debits_must_not_exceed_credits').notNull().default(false),
    /** Rule: credits_posted + credits_pending <= debits_posted (the mirror). No account kind uses it yet. */
    creditsMustNotExceedDebits: boolean('credits_must_not_exceed_debits').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('accounts_user_asset_kind_uq').on(table.userId, table.asset, table.kind),
    uniqueIndex('accounts_system_asset_kind_uq').on(table.asset, table.kind).where(sql`user_id is null`),
    // The database, not only the code, keeps a flagged account within its limit: an UPDATE that
    // breaks it fails whatever issued it. Checks name bare columns: the migration SQL must not
    // qualify anything, so the search_path alone decides the schema.
    check('accounts_debits_within_credits_ck', sql`not debits_must_not_exceed_credits or debits_posted + debits_pending <= credits_posted`),
    check('accounts_credits_within_debits_ck', sql`not credits_must_not_exceed_debits or credits_posted + credits_pending <= debits_posted`),
    check('accounts_totals_non_negative_ck', sql`debits_posted >= 0 and credits_posted >= 0 and debits_pending >= 0 and credits_pending >= 0`),
    check('accounts_one_limit_ck', sql`not (debits_must_not_exceed_credits and credits_must_not_exceed_debits)`),
    // A user account always has an owner and the non-negative flag; a system account has neither
    // owner nor flag. So no code path can open a user account that may go below zero.
    check(
      'accounts_kind_owner_ck',
      sql`case when kind in (${USER_KINDS_SQL}) then user_id is not null and debits_must_not_exceed_credits else user_id is null end`,
    ),
  ],
);

export type AccountRow = typeof accountsTable.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Transfers
// ---------------------------------------------------------------------------------------------

/** Why money moved. Stored as text; the engine refuses any other value. */
export const TransferCodes = {
  deposit: 'deposit',
  depositReversal: 'deposit_reversal',
  withdrawal: 'withdrawal',
  withdrawalFee: 'withdrawal_fee',
  internalTransfer: 'internal_transfer',
  manualAdjustment: 'manual_adjustment',
  planOpen: 'plan_open',
  planAccrual: 'plan_accrual',
  planMaturity: 'plan_maturity',
  referralReward: 'referral_reward',
} as const;
export type TransferCode = (typeof TransferCodes)[keyof typeof TransferCodes];

/**
 * What a transfer does to the totals:
 * - `single`: debits_posted / credits_posted += amount.
 * - `pending`: debits_pending / credits_pending += amount (a hold).
 * - `post_pending`: releases the whole pending amount and posts `amount` (at most the pending amount).
 * - `void_pending`: releases the whole pending amount; `amount` records it.
 */
export const TransferKinds = {
  single: 'single',
  pending: 'pending',
  postPending: 'post_pending',
  voidPending: 'void_pending',
} as const;
export type TransferKind = (typeof TransferKinds)[keyof typeof TransferKinds];

const TRANSFER_KINDS_SQL = sql.raw(Object.values(TransferKinds).map((kind) => `'${kind}'`).join(', '));

/**
 * Transfers: immutable (a trigger refuses UPDATE, DELETE and TRUNCATE); corrections are new
 * transfers. The id is chosen by the caller (UUIDv7), so a retried request cannot post twice.
 */
export const transfersTable = pgTable(
  'transfers',
  {
    id: uuid('id').primaryKey(),
    debitAccountId: uuid('debit_account_id').notNull(),
    creditAccountId: uuid('credit_account_id').notNull(),
    /** Positive, in minor units of `asset`. For a post, the amount posted; for a void, the amount released. */
    amount: minorUnits('amount').notNull(),
    /** Equal to the asset of both accounts. */
    asset: text('asset').notNull(),
    code: text('code').$type<TransferCode>().notNull(),
    kind: text('kind').$type<TransferKind>().notNull(),
    /** True for a hold (`kind = 'pending'`); kept as its own column for filters and readers. */
    pending: boolean('pending').notNull().default(false),
    /** The pending transfer a post or a void resolves; unique, so a hold is resolved at most once. */
    pendingId: uuid('pending_id'),
    /** When an unresolved hold voids itself (pending transfers only). */
    timeoutAt: timestamp('timeout_at', { withTimezone: true }),
    /** Transfers created by one call share it: they committed together. */
    batchId: uuid('batch_id').notNull(),
    /** The business object behind the transfer (withdrawal id, deposit key). */
    reference: text('reference'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    foreignKey({ name: 'transfers_debit_account_fk', columns: [table.debitAccountId], foreignColumns: [accountsTable.id] }),
    foreignKey({ name: 'transfers_credit_account_fk', columns: [table.creditAccountId], foreignColumns: [accountsTable.id] }),
    foreignKey({ name: 'transfers_pending_fk', columns: [table.pendingId], foreignColumns: [table.id] }),
    uniqueIndex('transfers_pending_id_uq').on(table.pendingId).where(sql`pending_id is not null`),
    // History of one account, newest first (keyset on id), from either side.
    index('transfers_debit_account_id_idx').on(table.debitAccountId, table.id),
    index('transfers_credit_account_id_idx').on(table.creditAccountId, table.id),
    // Holds that can expire, earliest first, for the expiry job.
    index('transfers_pending_timeout_idx').on(table.timeoutAt).where(sql`kind = 'pending' and timeout_at is not null`),
    index('transfers_reference_idx').on(table.reference).where(sql`reference is not null`),
    check('transfers_amount_positive_ck', sql`amount > 0`),
    check('transfers_accounts_differ_ck', sql`debit_account_id <> credit_account_id`),
    check('transfers_kind_ck', sql`kind in (${TRANSFER_KINDS_SQL})`),
    // Each kind carries exactly its own fields: only a hold is `pending` and may time out; only a
    // post or a void names the hold it resolves.
    check(
      'transfers_kind_fields_ck',
      sql`pending = (kind = 'pending') and (pending_id is not null) = (kind in ('post_pending', 'void_pending')) and (timeout_at is null or kind = 'pending')`,
    ),
  ],
);

export type TransferRow = typeof transfersTable.$inferSelect;
