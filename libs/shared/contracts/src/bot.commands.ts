import { z } from 'zod';
import { defineCommand, type CommandDefinition } from './define-command';
import { supportRequestCategorySchema, supportRequestStatusSchema } from './bot.events';

// ---------------------------------------------------------------------------------------------
// The bot-gateway's commands (request/reply on `<ns>.bot.cmd.<name>.v<N>`): what admins do to the
// records the gateway owns — support requests and account recovery requests. admin-audit sends
// them on an admin's behalf; each change is published as a `bot.evt.*` event.
// ---------------------------------------------------------------------------------------------

/** Errors the bot-gateway answers with (besides the generic COMMAND_ERR_* ones). */
export const BotCommandErrors = {
  /** No support or recovery request with this id. */
  notFound: 'BOT_ERR_NOT_FOUND',
  /** The support request's state machine does not allow this change from its current status. */
  transitionRefused: 'BOT_ERR_TRANSITION_REFUSED',
  /** The recovery request was already decided the other way. */
  alreadyDecided: 'BOT_ERR_ALREADY_DECIDED',
  /** The Telegram account asking for recovery has meanwhile become another user's. */
  recoveryConflict: 'BOT_ERR_RECOVERY_CONFLICT',
  /** The gateway's database is unreachable; retry later. */
  unavailable: 'BOT_ERR_UNAVAILABLE',
} as const;

const reasonSchema = z.string().trim().min(1).max(256);

export const changeSupportStatusV1 = defineCommand({
  context: 'bot',
  name: 'change-support-status',
  version: 1,
  description:
    'An admin moves a support request along its lifecycle (new → in_progress → resolved → closed; cancelled from new or ' +
    'in_progress). Any other change is refused with BOT_ERR_TRANSITION_REFUSED. Asking for the status the request already ' +
    'has answers `changed: false`, so a retry is safe. The user is told of every change.',
  idempotent: false,
  request: z.object({ adminId: z.uuid(), requestId: z.uuid(), to: supportRequestStatusSchema }),
  response: z.object({
    requestId: z.uuid(),
    userId: z.uuid(),
    category: supportRequestCategorySchema,
    status: supportRequestStatusSchema,
    changed: z.boolean(),
    changedAt: z.iso.datetime({ offset: true }),
  }),
  errors: [BotCommandErrors.notFound, BotCommandErrors.transitionRefused, BotCommandErrors.unavailable],
});

export const decideRecoveryV1 = defineCommand({
  context: 'bot',
  name: 'decide-recovery',
  version: 1,
  description:
    'An admin approves or rejects an account recovery request. On approval the user is moved to the new Telegram account ' +
    '(the old one no longer opens the wallet) and the recovery code is spent. Deciding the same way again answers ' +
    '`changed: false`; the other way is refused with BOT_ERR_ALREADY_DECIDED.',
  idempotent: false,
  request: z.object({
    adminId: z.uuid(),
    requestId: z.uuid(),
    decision: z.enum(['approved', 'rejected']),
    reason: reasonSchema.nullable(),
  }),
  response: z.object({
    requestId: z.uuid(),
    userId: z.uuid(),
    decision: z.enum(['approved', 'rejected']),
    changed: z.boolean(),
    decidedAt: z.iso.datetime({ offset: true }),
  }),
  errors: [BotCommandErrors.notFound, BotCommandErrors.alreadyDecided, BotCommandErrors.recoveryConflict, BotCommandErrors.unavailable],
});

/** Every bot-gateway command, for the docs generator. */
export const botCommands: readonly CommandDefinition[] = [changeSupportStatusV1, decideRecoveryV1];
