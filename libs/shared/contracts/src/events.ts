import { z } from 'zod';
import {
  chainWithdrawalBroadcastV1,
  chainWithdrawalConfirmedV1,
  chainWithdrawalFailedV1,
  depositAddressAssignedV1,
  depositConfirmedV1,
  depositDetectedV1,
  depositRevertedV1,
  rangeRescannedV1,
} from './chain.events';
import {
  withdrawalApprovedV1,
  withdrawalCancelledV1,
  withdrawalCompletedV1,
  withdrawalFailedV1,
  withdrawalRejectedV1,
  withdrawalRequestedV1,
} from './withdrawal.events';
import { planDepositAccruedV1, planDepositMaturedV1, planDepositOpenedV1 } from './plan.events';
import { defineEvent, type EventDefinition } from './define-event';
import { botUserEvents } from './bot.events';
import { alertEvents } from './alert.events';
import { broadcastEvents } from './notify.commands';
import { balanceChangedV1, referralRewardPaidV1, transferPostedV1, userBlacklistChangedV1 } from './ledger.events';

// ---------------------------------------------------------------------------------------------
// Shared field schemas
// ---------------------------------------------------------------------------------------------

/** Languages the product speaks. */
export const LanguageCodes = { en: 'en', ru: 'ru' } as const;
export const languageCodeSchema = z.enum(['en', 'ru']);
export type LanguageCode = z.infer<typeof languageCodeSchema>;

/** Telegram ids exceed 2^53 in places; they travel as decimal strings. */
export const telegramIdSchema = z.string().regex(/^-?[1-9][0-9]{0,19}$/, 'a Telegram id as a decimal string');

/** Asset codes: upper-case letters and digits, e.g. `USDT`. */
export const assetCodeSchema = z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/);

// ---------------------------------------------------------------------------------------------
// bot-gateway
// ---------------------------------------------------------------------------------------------

export const userRegisteredV1 = defineEvent({
  context: 'bot',
  aggregate: 'user',
  name: 'registered',
  version: 1,
  description:
    'A Telegram user started the bot for the first time and now has a Strongbox user id. ' +
    'Published once per user; `subject` is the user id.',
  schema: z.object({
    userId: z.uuid(),
    telegramUserId: telegramIdSchema,
    chatId: telegramIdSchema,
    languageCode: languageCodeSchema,
    referralCode: z.string().min(1).max(64).nullable(),
    /**
     * The user whose referral link brought this one, when the bot-gateway resolved `referralCode` to a user; the
     * ledger pays that user the referral reward after this user's first credited deposit. Absent or null: no referrer.
     */
    referrerUserId: z.uuid().nullable().optional(),
    registeredAt: z.iso.datetime({ offset: true }),
  }),
});

// ---------------------------------------------------------------------------------------------
// ledger
// ---------------------------------------------------------------------------------------------

export const accountOpenedV1 = defineEvent({
  context: 'ledger',
  aggregate: 'account',
  name: 'opened',
  version: 1,
  description:
    "The ledger opened a user's accounts, one per supported asset. Published once per user; " +
    '`subject` is the user id.',
  schema: z.object({
    userId: z.uuid(),
    accounts: z
      .array(z.object({ accountId: z.uuid(), asset: assetCodeSchema }))
      .min(1)
      .max(32),
    openedAt: z.iso.datetime({ offset: true }),
  }),
});

// ---------------------------------------------------------------------------------------------
// chain-watcher
// ---------------------------------------------------------------------------------------------

export const nodeStatusChangedV1 = defineEvent({
  context: 'chain',
  aggregate: 'node',
  name: 'status-changed',
  version: 1,
  description: 'The chain node became reachable (`up`) or unreachable/stalled (`down`).',
  schema: z.object({
    chainId: z.number().int().positive(),
    status: z.enum(['up', 'down']),
    headBlock: z.number().int().nonnegative().nullable(),
    reason: z.string().max(512).nullable(),
    changedAt: z.iso.datetime({ offset: true }),
  }),
});

// ---------------------------------------------------------------------------------------------
// notifier
// ---------------------------------------------------------------------------------------------

export const messageDeliveredV1 = defineEvent({
  context: 'notify',
  aggregate: 'message',
  name: 'delivered',
  version: 1,
  description: 'The notifier delivered a message to a user in Telegram. `subject` is the user id.',
  schema: z.object({
    userId: z.uuid(),
    chatId: telegramIdSchema,
    template: z.string().min(1).max(64),
    languageCode: languageCodeSchema,
    telegramMessageId: z.number().int().positive(),
    causationId: z.string().min(1).max(128),
  }),
});

/** Every event type the contracts lib declares, for the docs generator and the audit log. */
export const allEvents: readonly EventDefinition[] = [
  userRegisteredV1,
  ...botUserEvents,
  accountOpenedV1,
  transferPostedV1,
  balanceChangedV1,
  withdrawalRequestedV1,
  withdrawalCancelledV1,
  withdrawalApprovedV1,
  withdrawalRejectedV1,
  withdrawalCompletedV1,
  withdrawalFailedV1,
  referralRewardPaidV1,
  userBlacklistChangedV1,
  planDepositOpenedV1,
  planDepositAccruedV1,
  planDepositMaturedV1,
  nodeStatusChangedV1,
  depositAddressAssignedV1,
  depositDetectedV1,
  depositConfirmedV1,
  depositRevertedV1,
  rangeRescannedV1,
  chainWithdrawalBroadcastV1,
  chainWithdrawalConfirmedV1,
  chainWithdrawalFailedV1,
  messageDeliveredV1,
  ...broadcastEvents,
  ...alertEvents,
];
