import { z } from 'zod';
import { defineEvent, type EventDefinition } from './define-event';

// ---------------------------------------------------------------------------------------------
// ledger: savings-plan deposits. Each is published through the ledger's outbox in the transaction
// that moved the money (opening, one day's interest, maturity), so an event exists exactly when the
// movement does. `subject` is the user id. Amounts are decimal strings of minor units.
// ---------------------------------------------------------------------------------------------

const assetCodeSchema = z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'an asset code such as USDT');
const positiveAmountSchema = z.string().regex(/^[1-9][0-9]{0,37}$/, 'a positive amount in minor units, as a decimal string');
const minorUnitsSchema = z.string().regex(/^(0|[1-9][0-9]{0,37})$/, 'an amount in minor units (0 or more), as a decimal string');
const planCodeSchema = z
  .string()
  .max(32)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/);

/** Which deposit, on which exact plan version. */
const depositFields = {
  depositId: z.uuid(),
  userId: z.uuid(),
  planCode: planCodeSchema,
  planVersion: z.number().int().min(1),
  asset: assetCodeSchema,
};

export const planDepositOpenedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'plan-deposit',
  name: 'opened',
  version: 1,
  description:
    "A user opened a deposit on a plan version: `principal` moved from the user's available to the locked balance " +
    '(transfer `transferId`, code `plan_open`). The version\'s rate and term apply for the deposit\'s whole life.',
  schema: z.object({
    ...depositFields,
    principal: positiveAmountSchema,
    /** Annual rate in basis points. */
    rateBps: z.number().int().min(0).max(10_000),
    termDays: z.number().int().min(1).max(3_650),
    transferId: z.uuid(),
    openedAt: z.iso.datetime({ offset: true }),
    maturesAt: z.iso.datetime({ offset: true }),
  }),
});

export const planDepositAccruedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'plan-deposit',
  name: 'accrued',
  version: 1,
  description:
    "One UTC day's interest of a plan deposit was credited to the user's available balance (transfer `transferId`, " +
    'code `plan_accrual`). Each deposit day is credited at most once; a day whose interest rounds to zero publishes ' +
    'nothing. `accruedTotal` is the interest credited so far, this day included.',
  schema: z.object({
    ...depositFields,
    /** The UTC day the interest is for. */
    day: z.iso.date(),
    amount: positiveAmountSchema,
    accruedTotal: positiveAmountSchema,
    transferId: z.uuid(),
    accruedAt: z.iso.datetime({ offset: true }),
  }),
});

export const planDepositMaturedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'plan-deposit',
  name: 'matured',
  version: 1,
  description:
    "A plan deposit reached the end of its term: `principal` returned from the locked to the available balance " +
    '(transfer `transferId`, code `plan_maturity`) after every day of interest was credited; `accruedTotal` is the interest paid in all.',
  schema: z.object({
    ...depositFields,
    principal: positiveAmountSchema,
    accruedTotal: minorUnitsSchema,
    transferId: z.uuid(),
    maturedAt: z.iso.datetime({ offset: true }),
  }),
});

/** The plan-deposit events, for the catalogue (`allEvents`) and the docs. */
export const planDepositEvents: readonly EventDefinition[] = [planDepositOpenedV1, planDepositAccruedV1, planDepositMaturedV1];
