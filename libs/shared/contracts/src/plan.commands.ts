import { z } from 'zod';
import { defineCommand, idempotencyKeySchema, type CommandDefinition } from './define-command';

// ---------------------------------------------------------------------------------------------
// The ledger's savings-plan commands (request/reply on `<ns>.ledger.cmd.<name>.v<N>`). A plan level
// (`code`) has versions; each version's terms never change, and a deposit stays on the version it
// was opened on. Amounts are decimal strings of minor units; the rate is in basis points per year.
//
// The field schemas are declared here rather than imported from ledger.commands.ts, which imports
// this file for `allCommands`: importing back would make a cycle.
// ---------------------------------------------------------------------------------------------

const assetSchema = z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'an asset code such as USDT');
const positiveMinorUnitsSchema = z.string().regex(/^[1-9][0-9]{0,37}$/, 'a positive amount in minor units, as a decimal string');
const minorUnitsSchema = z.string().regex(/^(0|[1-9][0-9]{0,37})$/, 'an amount in minor units (0 or more), as a decimal string');
const signedMinorUnitsSchema = z.string().regex(/^(0|-?[1-9][0-9]{0,38})$/, 'an amount in minor units, as a decimal string');
const dateTimeSchema = z.iso.datetime({ offset: true });

/** Largest annual rate of a plan, in basis points (100 %). */
export const PLAN_RATE_BPS_LIMIT = 10_000;
/** Longest plan term, in days. */
export const PLAN_TERM_DAYS_LIMIT = 3_650;
/** Most plan levels one `list-plans` answer carries. */
export const PLANS_PER_LIST_MAX = 200;

/** A plan level: lower-case words of letters and digits joined by `-`, e.g. `flex-30`. */
export const planCodeSchema = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'a plan code: lower-case words of letters and digits joined by -');

/** Errors the plan commands answer with, besides the ledger's own (`LedgerCommandErrors`). */
export const PlanCommandErrors = {
  /** No plan with this code (or the plan's asset is not served). */
  planNotFound: 'LEDGER_ERR_PLAN_NOT_FOUND',
  /** The plan level is disabled until `details.disabledUntil`; opening is refused until then. */
  planDisabled: 'LEDGER_ERR_PLAN_DISABLED',
  /** The request named a plan version that a newer one replaced; `details.currentVersion` is the one on offer. */
  planVersionSuperseded: 'LEDGER_ERR_PLAN_VERSION_SUPERSEDED',
  /** The principal is below the plan's minimum or above its maximum; `details.limit` is `min` or `max`. */
  planAmountLimit: 'LEDGER_ERR_PLAN_AMOUNT_LIMIT',
  /** This version of the code was published before with other terms; versions are never edited. */
  planVersionExists: 'LEDGER_ERR_PLAN_VERSION_EXISTS',
  /** Versions are published in order: 1 for a new code, else the latest + 1 (`details.expectedVersion`). */
  planVersionNotNext: 'LEDGER_ERR_PLAN_VERSION_NOT_NEXT',
  /** The terms are inconsistent (maximum below minimum) or the asset is not one the ledger serves. */
  invalidPlan: 'LEDGER_ERR_INVALID_PLAN',
} as const;

// Codes of the ledger shared with ledger.commands.ts (`LedgerCommandErrors`), spelled the same.
const ACCOUNT_NOT_FOUND = 'LEDGER_ERR_ACCOUNT_NOT_FOUND';
const INSUFFICIENT_FUNDS = 'LEDGER_ERR_INSUFFICIENT_FUNDS';
const IDEMPOTENCY_CONFLICT = 'LEDGER_ERR_IDEMPOTENCY_CONFLICT';
const IN_PROGRESS = 'LEDGER_ERR_IN_PROGRESS';
const UNAVAILABLE = 'LEDGER_ERR_UNAVAILABLE';

/** One version of a plan level, as published. */
export const planSchema = z.object({
  code: planCodeSchema,
  version: z.number().int().min(1),
  asset: assetSchema,
  /** Annual rate in basis points: 450 = 4.5 % a year. */
  rateBps: z.number().int().min(0).max(PLAN_RATE_BPS_LIMIT),
  termDays: z.number().int().min(1).max(PLAN_TERM_DAYS_LIMIT),
  minAmount: positiveMinorUnitsSchema,
  maxAmount: positiveMinorUnitsSchema,
  /** Opening is refused until then (the whole level); null when open for deposits. */
  disabledUntil: dateTimeSchema.nullable(),
  createdAt: dateTimeSchema,
});

/** A user's deposit on a plan version. */
export const planDepositSchema = z.object({
  depositId: z.uuid(),
  userId: z.uuid(),
  planCode: planCodeSchema,
  planVersion: z.number().int().min(1),
  asset: assetSchema,
  principal: positiveMinorUnitsSchema,
  rateBps: z.number().int().min(0).max(PLAN_RATE_BPS_LIMIT),
  termDays: z.number().int().min(1).max(PLAN_TERM_DAYS_LIMIT),
  openedAt: dateTimeSchema,
  /** When the principal returns to the available balance (opening + term days). */
  maturesAt: dateTimeSchema,
  state: z.enum(['open', 'matured']),
  /** Interest credited so far. */
  accruedTotal: minorUnitsSchema,
});

/** The same balance shape the other ledger commands answer with. */
const planBalanceSchema = z.object({
  accountId: z.uuid(),
  asset: assetSchema,
  available: signedMinorUnitsSchema,
  pendingOut: signedMinorUnitsSchema,
  /** Locked in plan deposits. */
  locked: signedMinorUnitsSchema,
});

export const publishPlanV1 = defineCommand({
  context: 'ledger',
  name: 'publish-plan',
  version: 1,
  description:
    'An admin publishes a version of a plan level: version 1 creates the level, each later version (the latest + 1) ' +
    'replaces the terms on offer. Deposits already open keep the version they were opened on. Publishing the same ' +
    'version with the same terms again answers the stored version (`created: false`), so a retry is safe. The ' +
    'publishing admin (`adminId`) is recorded with the version; a repeat by another admin keeps the first one.',
  idempotent: false,
  request: z.object({
    /** The admin publishing; recorded with the version. */
    adminId: z.uuid(),
    code: planCodeSchema,
    version: z.number().int().min(1).max(1_000_000),
    asset: assetSchema,
    rateBps: z.number().int().min(0).max(PLAN_RATE_BPS_LIMIT),
    termDays: z.number().int().min(1).max(PLAN_TERM_DAYS_LIMIT),
    minAmount: positiveMinorUnitsSchema,
    maxAmount: positiveMinorUnitsSchema,
  }),
  response: z.object({ plan: planSchema, created: z.boolean() }),
  errors: [PlanCommandErrors.invalidPlan, PlanCommandErrors.planVersionExists, PlanCommandErrors.planVersionNotNext, UNAVAILABLE],
});

export const disablePlanV1 = defineCommand({
  context: 'ledger',
  name: 'disable-plan',
  version: 1,
  description:
    'An admin disables a plan level (every version of the code) until a time: opening a deposit on it is refused ' +
    'until then, deposits already open are not affected. `disabledUntil: null` enables it again at once.',
  idempotent: false,
  request: z.object({ code: planCodeSchema, disabledUntil: dateTimeSchema.nullable() }),
  response: z.object({ code: planCodeSchema, disabledUntil: dateTimeSchema.nullable() }),
  errors: [PlanCommandErrors.planNotFound, UNAVAILABLE],
});

export const listPlansV1 = defineCommand({
  context: 'ledger',
  name: 'list-plans',
  version: 1,
  description:
    'The plans on offer: the latest version of each plan level, by code, in one asset when given. Disabled levels ' +
    `are left out unless \`includeDisabled\`. At most ${PLANS_PER_LIST_MAX} levels.`,
  idempotent: false,
  request: z.object({ asset: assetSchema.optional(), includeDisabled: z.boolean().default(false) }),
  response: z.object({ plans: z.array(planSchema).max(PLANS_PER_LIST_MAX) }),
  errors: [UNAVAILABLE],
});

export const openPlanDepositV1 = defineCommand({
  context: 'ledger',
  name: 'open-plan-deposit',
  version: 1,
  description:
    "Opens a deposit on a plan: moves the principal from the user's available balance to the locked one. Interest is " +
    'credited to the available balance each UTC day of the term; at maturity the principal returns. Without ' +
    '`planVersion` the latest version is used; with it, the request is refused if a newer version replaced it ' +
    '(so the user gets the terms they were shown). Retrying with the same idempotency key returns the first result.',
  idempotent: true,
  request: z.object({
    idempotencyKey: idempotencyKeySchema,
    userId: z.uuid(),
    planCode: planCodeSchema,
    planVersion: z.number().int().min(1).optional(),
    amount: positiveMinorUnitsSchema,
  }),
  response: z.object({ deposit: planDepositSchema, balance: planBalanceSchema }),
  errors: [
    PlanCommandErrors.planNotFound,
    PlanCommandErrors.planDisabled,
    PlanCommandErrors.planVersionSuperseded,
    PlanCommandErrors.planAmountLimit,
    ACCOUNT_NOT_FOUND,
    INSUFFICIENT_FUNDS,
    IDEMPOTENCY_CONFLICT,
    IN_PROGRESS,
    UNAVAILABLE,
  ],
});

/** Most deposits one `list-plan-deposits` answer carries. */
export const PLAN_DEPOSITS_PER_LIST_MAX = 50;

export const listPlanDepositsV1 = defineCommand({
  context: 'ledger',
  name: 'list-plan-deposits',
  version: 1,
  description:
    "A user's plan deposits, open ones first (soonest maturity first), then matured ones (latest first), each with the " +
    `interest credited so far. At most \`limit\` (default and maximum ${PLAN_DEPOSITS_PER_LIST_MAX}).`,
  idempotent: false,
  request: z.object({
    userId: z.uuid(),
    asset: assetSchema.optional(),
    limit: z.number().int().min(1).max(PLAN_DEPOSITS_PER_LIST_MAX).default(PLAN_DEPOSITS_PER_LIST_MAX),
  }),
  response: z.object({ deposits: z.array(planDepositSchema).max(PLAN_DEPOSITS_PER_LIST_MAX) }),
  errors: [UNAVAILABLE],
});

/** Every plan command, for the catalogue (`allCommands`) and the docs. */
export const planCommands: readonly CommandDefinition[] = [publishPlanV1, disablePlanV1, listPlansV1, openPlanDepositV1, listPlanDepositsV1];
