import { z } from 'zod';
import { defineEvent, type EventDefinition } from './define-event';

// ---------------------------------------------------------------------------------------------
// bot-gateway: what happens to a user in Telegram beyond registration (`bot.evt.user.registered.v1`
// is declared in events.ts). The notifier keeps its read model of recipients from these events and
// tells users about support and recovery decisions; the audit log records them all.
// ---------------------------------------------------------------------------------------------

// Declared here rather than imported from events.ts, so events.ts can import this file for its
// catalogue without an import cycle.
const languageSchema = z.enum(['en', 'ru']);
const telegramIdText = z.string().regex(/^-?[1-9][0-9]{0,19}$/, 'a Telegram id as a decimal string');

export const userLanguageChangedV1 = defineEvent({
  context: 'bot',
  aggregate: 'user',
  name: 'language-changed',
  version: 1,
  description: 'A user chose another language in the bot; every later message to them uses it. `subject` is the user id.',
  schema: z.object({
    userId: z.uuid(),
    languageCode: languageSchema,
    changedAt: z.iso.datetime({ offset: true }),
  }),
});

/** Where a support request stands. `new → in_progress → resolved → closed`; `cancelled` from `new` or `in_progress`. */
export const supportRequestStatusSchema = z.enum(['new', 'in_progress', 'resolved', 'closed', 'cancelled']);
export type SupportRequestStatus = z.infer<typeof supportRequestStatusSchema>;

export const supportRequestCategorySchema = z.enum(['deposit', 'withdrawal', 'account', 'other']);
export type SupportRequestCategory = z.infer<typeof supportRequestCategorySchema>;

export const supportRequestStatusChangedV1 = defineEvent({
  context: 'bot',
  aggregate: 'support-request',
  name: 'status-changed',
  version: 1,
  description:
    'A support request was opened (`from: null`, `to: new`) or moved to another status by the user or an admin. ' +
    'Only transitions the state machine allows are published. `subject` is the request id.',
  schema: z.object({
    requestId: z.uuid(),
    userId: z.uuid(),
    category: supportRequestCategorySchema,
    from: supportRequestStatusSchema.nullable(),
    to: supportRequestStatusSchema,
    /** The admin who changed it; null when the user did (opening, cancelling). */
    adminId: z.uuid().nullable(),
    changedAt: z.iso.datetime({ offset: true }),
  }),
});

export const recoveryRequestedV1 = defineEvent({
  context: 'bot',
  aggregate: 'recovery',
  name: 'requested',
  version: 1,
  description:
    'Someone presented a valid recovery code from another Telegram account and asks to move the user there. ' +
    'Nothing changes until an admin approves. `subject` is the request id.',
  schema: z.object({
    requestId: z.uuid(),
    userId: z.uuid(),
    newTelegramUserId: telegramIdText,
    newChatId: telegramIdText,
    requestedAt: z.iso.datetime({ offset: true }),
  }),
});

export const recoveryDecidedV1 = defineEvent({
  context: 'bot',
  aggregate: 'recovery',
  name: 'decided',
  version: 1,
  description:
    'An admin approved or rejected a recovery request. On `approved` the user is reached at `newChatId` from now on ' +
    '(and the old Telegram account no longer opens the wallet). `subject` is the request id.',
  schema: z.object({
    requestId: z.uuid(),
    userId: z.uuid(),
    decision: z.enum(['approved', 'rejected']),
    newTelegramUserId: telegramIdText,
    newChatId: telegramIdText,
    /** The chat the user was reached at before the request; told of the decision too. */
    previousChatId: telegramIdText,
    adminId: z.uuid(),
    reason: z.string().min(1).max(256).nullable(),
    decidedAt: z.iso.datetime({ offset: true }),
  }),
});

/** The events of this file, for the catalogue (`allEvents`) and the docs. */
export const botUserEvents: readonly EventDefinition[] = [
  userLanguageChangedV1,
  supportRequestStatusChangedV1,
  recoveryRequestedV1,
  recoveryDecidedV1,
];
