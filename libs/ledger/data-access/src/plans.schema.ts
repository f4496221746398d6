import { sql } from 'drizzle-orm';
import { check, date, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { minorUnits, transfersTable } from './ledger.schema';

// Savings plans: a catalogue of plan versions, the deposits users open on them, and the interest
// credited to each deposit day by day. As everywhere in the ledger, the money itself lives in
// transfers (plan_open, plan_accrual, plan_maturity); these tables say why it moved and what is due.

// ---------------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------------

/** Largest annual rate a plan may carry, in basis points (100 %); anything above is a typo, not a product. */
export const PLAN_RATE_BPS_MAX = 10_000;
/** Longest term a plan may have, in days (ten years). */
export const PLAN_TERM_DAYS_MAX = 3_650;
/** Plan codes: lower-case words of letters and digits joined by `-`, at most 32 characters (`flex-30`). */
export const PLAN_CODE_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const PLAN_CODE_LENGTH_MAX = 32;

/**
 * Plan versions. A plan level is a `code`; its terms are published as versions 1, 2, 3, … and a
 * published version's terms never change (a trigger refuses it): a deposit names the exact version
 * it was opened on, so a new version never changes deposits already open. Only `disabled_until`
 * may change: it switches the whole level off for a while (every version of the code carries it).
 */
export const plansTable = pgTable(
  'plans',
  {
    code: text('code').notNull(),
    /** 1 for a new code, then the latest version + 1. */
    version: integer('version').notNull(),
    /** Asset code; principal and interest are in its minor units. */
    asset: text('asset').notNull(),
    /** Annual interest rate in basis points (1 bp = 0.01 %), 0 to PLAN_RATE_BPS_MAX. */
    rateBps: integer('rate_bps').notNull(),
    /** Days from opening to maturity; interest accrues for exactly this many days. */
    termDays: integer('term_days').notNull(),
    /** Smallest principal a deposit may have, in minor units (> 0). */
    minAmount: minorUnits('min_amount').notNull(),
    /** Largest principal a deposit may have, in minor units (>= min_amount). */
    maxAmount: minorUnits('max_amount').notNull(),
    /** Rule: no deposit may be opened on the code before this time; null = open for deposits. */
    disabledUntil: timestamp('disabled_until', { withTimezone: true }),
    /** The admin who published this version; null only for versions published before it was recorded. */
    publishedBy: uuid('published_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'plans_pk', columns: [table.code, table.version] }),
    check('plans_version_ck', sql`version >= 1`),
    check('plans_code_ck', sql`code ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' and length(code) <= ${sql.raw(String(PLAN_CODE_LENGTH_MAX))}`),
    check('plans_rate_ck', sql`rate_bps >= 0 and rate_bps <= ${sql.raw(String(PLAN_RATE_BPS_MAX))}`),
    check('plans_term_ck', sql`term_days >= 1 and term_days <= ${sql.raw(String(PLAN_TERM_DAYS_MAX))}`),
    check('plans_amounts_ck', sql`min_amount > 0 and max_amount >= min_amount`),
  ],
);
export type PlanRow = typeof plansTable.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Deposits
// ---------------------------------------------------------------------------------------------

export const PlanDepositStates = { open: 'open', matured: 'matured' } as const;
export type PlanDepositState = (typeof PlanDepositStates)[keyof typeof PlanDepositStates];

/**
 * One row per plan deposit. Opening moved `principal` from the user's `user_available` to their
 * `user_locked` account (`open_transfer_id`); maturity moves it back (`maturity_transfer_id`).
 * Interest is credited day by day to `user_available` (see plan_accruals); `accrued_total` and
 * `last_accrued_day` summarise those rows.
 */
export const planDepositsTable = pgTable(
  'plan_deposits',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    /** The exact plan version: its terms (rate, term) apply for the deposit's whole life. */
    planCode: text('plan_code').notNull(),
    planVersion: integer('plan_version').notNull(),
    /** The plan version's asset. */
    asset: text('asset').notNull(),
    principal: minorUnits('principal').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    /** opened_at + term_days × 24 h. */
    maturesAt: timestamp('matures_at', { withTimezone: true }).notNull(),
    state: text('state').$type<PlanDepositState>().notNull(),
    /** Sum of the amounts of the deposit's plan_accruals rows. */
    accruedTotal: minorUnits('accrued_total').notNull().default(sql`0`),
    /** The last UTC day whose interest was credited; null before the first. */
    lastAccruedDay: date('last_accrued_day', { mode: 'string' }),
    openTransferId: uuid('open_transfer_id').notNull(),
    maturityTransferId: uuid('maturity_transfer_id'),
    maturedAt: timestamp('matured_at', { withTimezone: true }),
  },
  (table) => [
    // A deposit points at the exact version; versions are never deleted or edited, so neither are its terms.
    foreignKey({ name: 'plan_deposits_plan_fk', columns: [table.planCode, table.planVersion], foreignColumns: [plansTable.code, plansTable.version] }),
    foreignKey({ name: 'plan_deposits_open_transfer_fk', columns: [table.openTransferId], foreignColumns: [transfersTable.id] }),
    foreignKey({ name: 'plan_deposits_maturity_transfer_fk', columns: [table.maturityTransferId], foreignColumns: [transfersTable.id] }),
    index('plan_deposits_user_opened_idx').on(table.userId, table.openedAt),
    // The accrual job walks open deposits by id; matured ones drop out of this index.
    index('plan_deposits_open_idx').on(table.id).where(sql`state = 'open'`),
    check('plan_deposits_amounts_ck', sql`principal > 0 and accrued_total >= 0`),
    check('plan_deposits_term_ck', sql`matures_at > opened_at`),
    check('plan_deposits_state_ck', sql`state in ('open', 'matured')`),
    // A matured deposit has its maturity transfer and time; an open one has neither.
    check(
      'plan_deposits_maturity_ck',
      sql`(state = 'matured') = (maturity_transfer_id is not null) and (state = 'matured') = (matured_at is not null)`,
    ),
  ],
);
export type PlanDepositRow = typeof planDepositsTable.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Accruals
// ---------------------------------------------------------------------------------------------

/**
 * One row per deposit and UTC day whose interest was credited. The primary key makes "a day is
 * credited at most once" a fact of the database: a second run of the accrual job for the same day
 * cannot insert its row, and the row and its transfer commit together. A day whose interest rounds
 * to zero still gets its row (amount 0, no transfer), so the day counts as done.
 */
export const planAccrualsTable = pgTable(
  'plan_accruals',
  {
    depositId: uuid('deposit_id').notNull(),
    /** The UTC day the interest is for. */
    day: date('day', { mode: 'string' }).notNull(),
    /** Interest for the day in minor units (see the rounding rule in README.md). */
    amount: minorUnits('amount').notNull(),
    /** The plan_accrual transfer (plan_interest_expense → user_available); null when amount is 0. */
    transferId: uuid('transfer_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'plan_accruals_pk', columns: [table.depositId, table.day] }),
    foreignKey({ name: 'plan_accruals_deposit_fk', columns: [table.depositId], foreignColumns: [planDepositsTable.id] }),
    foreignKey({ name: 'plan_accruals_transfer_fk', columns: [table.transferId], foreignColumns: [transfersTable.id] }),
    check('plan_accruals_amount_ck', sql`amount >= 0 and (amount > 0) = (transfer_id is not null)`),
  ],
);
export type PlanAccrualRow = typeof planAccrualsTable.$inferSelect;
