import { chainCommands } from './chain.commands';
import { z } from 'zod';
import { defineCommand, idempotencyKeySchema, type CommandDefinition } from './define-command';
import { botCommands } from './bot.commands';
import { planCommands } from './plan.commands';
import { notifyCommands } from './notify.commands';

// ---------------------------------------------------------------------------------------------
// The ledger's commands (request/reply on `<ns>.ledger.cmd.<name>.v<N>`). Amounts travel as decimal
// strings of minor units (`"1500000"` = 1.5 USDT): JSON has no 64-bit integers, and a float never
// carries money. Every command that moves money takes an idempotency key.
// ---------------------------------------------------------------------------------------------

/** A positive amount in minor units, as a decimal string without sign, leading zeros or fraction. */
export const positiveMinorUnitsSchema = z.string().regex(/^[1-9][0-9]{0,37}$/, 'a positive amount in minor units, as a decimal string');
/** A balance in minor units; negative only for system accounts. */
export const signedMinorUnitsSchema = z.string().regex(/^(0|-?[1-9][0-9]{0,38})$/, 'an amount in minor units, as a decimal string');
const assetSchema = z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'an asset code such as USDT');
const noteSchema = z.string().trim().min(1).max(256);

/** Errors the ledger answers with (besides the generic COMMAND_ERR_* ones). */
export const LedgerCommandErrors = {
  accountNotFound: 'LEDGER_ERR_ACCOUNT_NOT_FOUND',
  insufficientFunds: 'LEDGER_ERR_INSUFFICIENT_FUNDS',
  invalidTransfer: 'LEDGER_ERR_INVALID_TRANSFER',
  assetMismatch: 'LEDGER_ERR_ASSET_MISMATCH',
  /** The idempotency key was used before with a different request body. */
  idempotencyConflict: 'LEDGER_ERR_IDEMPOTENCY_CONFLICT',
  /** A request with the same idempotency key is still running; retry shortly. */
  inProgress: 'LEDGER_ERR_IN_PROGRESS',
  withdrawalNotFound: 'LEDGER_ERR_WITHDRAWAL_NOT_FOUND',
  /** The withdrawal is in a state that does not allow the transition (e.g. cancel after broadcast). */
  invalidWithdrawalState: 'LEDGER_ERR_INVALID_WITHDRAWAL_STATE',
  /** Below the minimum, above the maximum, or over the rolling 24 h limit; `details` names which. */
  withdrawalLimit: 'LEDGER_ERR_WITHDRAWAL_LIMIT',
  /** The ledger is temporarily unable to serve (database down); retry later. */
  unavailable: 'LEDGER_ERR_UNAVAILABLE',
  /** The emergency stop is on: every outgoing money movement is halted; reads keep working. Retryable. */
  emergencyStop: 'LEDGER_ERR_EMERGENCY_STOP',
  /** Maintenance mode (the chain is unusable): withdrawals are refused for now. Retryable. */
  maintenance: 'LEDGER_ERR_MAINTENANCE',
} as const;

const balanceSchema = z.object({
  accountId: z.uuid(),
  asset: assetSchema,
  /** What the user can spend now: posted credits minus posted and pending debits. */
  available: signedMinorUnitsSchema,
  /** Held for withdrawals in progress. */
  pendingOut: signedMinorUnitsSchema,
  /** Locked in plan deposits. */
  locked: signedMinorUnitsSchema,
});

export const openAccountV1 = defineCommand({
  context: 'ledger',
  name: 'open-account',
  version: 1,
  description: "Opens a user's accounts in the given assets (all supported assets when omitted). Opening again returns the same accounts.",
  idempotent: false,
  request: z.object({ userId: z.uuid(), assets: z.array(assetSchema).min(1).max(32).optional() }),
  response: z.object({ accounts: z.array(z.object({ accountId: z.uuid(), asset: assetSchema, kind: z.string() })) }),
  errors: [LedgerCommandErrors.unavailable],
});

export const getBalanceV1 = defineCommand({
  context: 'ledger',
  name: 'get-balance',
  version: 1,
  description: "A user's balance in one asset.",
  idempotent: false,
  request: z.object({ userId: z.uuid(), asset: assetSchema }),
  response: balanceSchema,
  errors: [LedgerCommandErrors.accountNotFound, LedgerCommandErrors.unavailable],
});

export const historyItemSchema = z.object({
  transferId: z.uuid(),
  code: z.string(),
  /** `in` credits the user, `out` debits the user. */
  direction: z.enum(['in', 'out']),
  amount: positiveMinorUnitsSchema,
  /** `posted`, `pending` (a hold), `voided` (a released hold). */
  state: z.enum(['posted', 'pending', 'voided']),
  reference: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});

export const listHistoryV1 = defineCommand({
  context: 'ledger',
  name: 'list-history',
  version: 1,
  description: "A page of a user's movements in one asset, newest first. Pass `nextCursor` back as `cursor` for the next page.",
  idempotent: false,
  request: z.object({ userId: z.uuid(), asset: assetSchema, limit: z.number().int().min(1).max(100).default(20), cursor: z.uuid().optional() }),
  response: z.object({ items: z.array(historyItemSchema), nextCursor: z.uuid().nullable() }),
  errors: [LedgerCommandErrors.accountNotFound, LedgerCommandErrors.unavailable],
});

export const transferV1 = defineCommand({
  context: 'ledger',
  name: 'transfer',
  version: 1,
  description: 'Moves money between two users, at once and in full or not at all. Retrying with the same idempotency key returns the first result.',
  idempotent: true,
  request: z.object({
    idempotencyKey: idempotencyKeySchema,
    fromUserId: z.uuid(),
    toUserId: z.uuid(),
    asset: assetSchema,
    amount: positiveMinorUnitsSchema,
    note: noteSchema.optional(),
  }),
  response: z.object({ transferId: z.uuid(), from: balanceSchema, to: balanceSchema }),
  errors: [
    LedgerCommandErrors.accountNotFound,
    LedgerCommandErrors.insufficientFunds,
    LedgerCommandErrors.invalidTransfer,
    LedgerCommandErrors.emergencyStop,
    LedgerCommandErrors.idempotencyConflict,
    LedgerCommandErrors.inProgress,
    LedgerCommandErrors.unavailable,
  ],
});

export const withdrawalStateSchema = z.enum(['requested', 'held', 'awaiting_approval', 'approved', 'broadcast', 'completed', 'failed', 'rejected', 'cancelled']);

export const withdrawalSchema = z.object({
  withdrawalId: z.uuid(),
  userId: z.uuid(),
  asset: assetSchema,
  amount: positiveMinorUnitsSchema,
  fee: z.string().regex(/^(0|[1-9][0-9]{0,37})$/),
  toAddress: z.string(),
  state: withdrawalStateSchema,
  /** Why the withdrawal waits for an admin (fraud rules), or why it was rejected or failed. */
  reason: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
});

export const requestWithdrawalV1 = defineCommand({
  context: 'ledger',
  name: 'request-withdrawal',
  version: 1,
  description:
    'Holds amount + fee on the user account and creates a withdrawal to an EVM address. ' +
    'Suspicious withdrawals wait for an admin (`awaiting_approval`) instead of being refused.',
  idempotent: true,
  request: z.object({
    idempotencyKey: idempotencyKeySchema,
    userId: z.uuid(),
    asset: assetSchema,
    amount: positiveMinorUnitsSchema,
    toAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an EVM address'),
  }),
  response: z.object({ withdrawal: withdrawalSchema, balance: balanceSchema }),
  errors: [
    LedgerCommandErrors.accountNotFound,
    LedgerCommandErrors.insufficientFunds,
    LedgerCommandErrors.withdrawalLimit,
    LedgerCommandErrors.emergencyStop,
    LedgerCommandErrors.maintenance,
    LedgerCommandErrors.idempotencyConflict,
    LedgerCommandErrors.inProgress,
    LedgerCommandErrors.unavailable,
  ],
});

export const getWithdrawalTermsV1 = defineCommand({
  context: 'ledger',
  name: 'get-withdrawal-terms',
  version: 1,
  description:
    "What a withdrawal of the user would cost and may be, for the bot's confirmation screen: the fee, the per-withdrawal " +
    'minimum and maximum, the rolling 24 h maximum and how much of it the user has used, and the available balance. ' +
    'Informative only: request-withdrawal checks everything again when it runs.',
  idempotent: false,
  request: z.object({ userId: z.uuid(), asset: assetSchema }),
  response: z.object({
    asset: assetSchema,
    fee: signedMinorUnitsSchema,
    min: signedMinorUnitsSchema,
    max: signedMinorUnitsSchema,
    dailyMax: signedMinorUnitsSchema,
    usedLast24h: signedMinorUnitsSchema,
    available: signedMinorUnitsSchema,
  }),
  errors: [LedgerCommandErrors.accountNotFound, LedgerCommandErrors.unavailable],
});

export const cancelWithdrawalV1 = defineCommand({
  context: 'ledger',
  name: 'cancel-withdrawal',
  version: 1,
  description: "Cancels the user's own withdrawal before it is broadcast and releases the hold.",
  idempotent: true,
  request: z.object({ idempotencyKey: idempotencyKeySchema, userId: z.uuid(), withdrawalId: z.uuid() }),
  response: z.object({ withdrawal: withdrawalSchema, balance: balanceSchema }),
  errors: [
    LedgerCommandErrors.withdrawalNotFound,
    LedgerCommandErrors.invalidWithdrawalState,
    LedgerCommandErrors.idempotencyConflict,
    LedgerCommandErrors.inProgress,
    LedgerCommandErrors.unavailable,
  ],
});

const reviewRequestSchema = {
  idempotencyKey: idempotencyKeySchema,
  /** The admin deciding; admin-audit checks that this admin may, and did not request it. */
  adminId: z.uuid(),
  withdrawalId: z.uuid(),
};

export const approveWithdrawalV1 = defineCommand({
  context: 'ledger',
  name: 'approve-withdrawal',
  version: 1,
  description: 'An admin approves a withdrawal that is held or awaiting approval; the chain-watcher may then broadcast it.',
  idempotent: true,
  request: z.object(reviewRequestSchema),
  response: z.object({ withdrawal: withdrawalSchema }),
  errors: [
    LedgerCommandErrors.withdrawalNotFound,
    LedgerCommandErrors.invalidWithdrawalState,
    LedgerCommandErrors.idempotencyConflict,
    LedgerCommandErrors.inProgress,
    LedgerCommandErrors.unavailable,
  ],
});

export const rejectWithdrawalV1 = defineCommand({
  context: 'ledger',
  name: 'reject-withdrawal',
  version: 1,
  description: 'An admin rejects a withdrawal awaiting approval, with a reason; the hold on amount + fee is released.',
  idempotent: true,
  request: z.object({ ...reviewRequestSchema, reason: noteSchema }),
  response: z.object({ withdrawal: withdrawalSchema, balance: balanceSchema }),
  errors: [
    LedgerCommandErrors.withdrawalNotFound,
    LedgerCommandErrors.invalidWithdrawalState,
    LedgerCommandErrors.idempotencyConflict,
    LedgerCommandErrors.inProgress,
    LedgerCommandErrors.unavailable,
  ],
});

export const manualAdjustmentV1 = defineCommand({
  context: 'ledger',
  name: 'manual-adjustment',
  version: 1,
  description: "An admin credits or debits a user's account against the manual adjustments account, with a reason (audited).",
  idempotent: true,
  request: z.object({
    idempotencyKey: idempotencyKeySchema,
    adminId: z.uuid(),
    userId: z.uuid(),
    asset: assetSchema,
    direction: z.enum(['credit', 'debit']),
    amount: positiveMinorUnitsSchema,
    reason: noteSchema,
  }),
  response: z.object({ transferId: z.uuid(), balance: balanceSchema }),
  errors: [
    LedgerCommandErrors.accountNotFound,
    LedgerCommandErrors.insufficientFunds,
    LedgerCommandErrors.idempotencyConflict,
    LedgerCommandErrors.inProgress,
    LedgerCommandErrors.unavailable,
  ],
});

export const blacklistUserV1 = defineCommand({
  context: 'ledger',
  name: 'blacklist-user',
  version: 1,
  description:
    'An admin puts a user on the blacklist (`blacklisted: true`) or lifts it (`false`), with a reason. While listed, ' +
    "every new withdrawal of the user waits for an admin (`awaiting_approval`, reason `user_blacklisted`) and the user's " +
    'held withdrawals are not approved automatically. Setting the state the user already has answers the stored entry ' +
    'unchanged, so a retry is safe.',
  idempotent: false,
  request: z.object({ adminId: z.uuid(), userId: z.uuid(), blacklisted: z.boolean(), reason: noteSchema }),
  response: z.object({
    userId: z.uuid(),
    blacklisted: z.boolean(),
    reason: z.string(),
    /** The admin who made the change now in force. */
    adminId: z.uuid(),
    updatedAt: z.iso.datetime({ offset: true }),
    /** False when the user already had this state (nothing changed). */
    changed: z.boolean(),
  }),
  errors: [LedgerCommandErrors.unavailable],
});

export const getReferralStatsV1 = defineCommand({
  context: 'ledger',
  name: 'get-referral-stats',
  version: 1,
  description:
    'What a user earned by inviting friends: how many registered with their code, the rewards paid to them (summed per ' +
    'asset) and the reward a new referral pays now (its first credited deposit pays it; amount 0 when rewards are off).',
  idempotent: false,
  request: z.object({ userId: z.uuid() }),
  response: z.object({
    invited: z.number().int().min(0),
    rewardsPaid: z.array(z.object({ asset: assetSchema, amount: positiveMinorUnitsSchema, count: z.number().int().min(1) })),
    reward: z.object({ asset: assetSchema, amount: z.string().regex(/^(0|[1-9][0-9]{0,37})$/) }),
  }),
  errors: [LedgerCommandErrors.unavailable],
});

/** Every ledger command, for the docs generator. */
export const ledgerCommands: readonly CommandDefinition[] = [
  openAccountV1,
  getBalanceV1,
  listHistoryV1,
  transferV1,
  requestWithdrawalV1,
  getWithdrawalTermsV1,
  cancelWithdrawalV1,
  approveWithdrawalV1,
  rejectWithdrawalV1,
  manualAdjustmentV1,
  blacklistUserV1,
  getReferralStatsV1,
];

/** Every command the contracts declare, for the docs generator. */
export const allCommands: readonly CommandDefinition[] = [...ledgerCommands, ...planCommands, ...chainCommands, ...botCommands, ...notifyCommands];
