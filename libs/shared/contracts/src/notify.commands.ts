import { z } from 'zod';
import { defineCommand, idempotencyKeySchema, type CommandDefinition } from './define-command';
import { defineEvent, type EventDefinition } from './define-event';

// ---------------------------------------------------------------------------------------------
// The notifier's commands (request/reply on `<ns>.notify.cmd.<name>.v<N>`) and the broadcast
// progress events. A broadcast is one admin message sent to every user who has not blocked the
// bot, each in their language; admin-audit sends the command on the admin's behalf.
// ---------------------------------------------------------------------------------------------

/** Telegram's limit on one message's text. */
export const BROADCAST_TEXT_LENGTH_MAX = 4_096;

/** Errors the notifier answers with (besides the generic COMMAND_ERR_* ones). */
export const NotifyCommandErrors = {
  /** The idempotency key was used before with another admin or other texts. */
  idempotencyConflict: 'NOTIFY_ERR_IDEMPOTENCY_CONFLICT',
  /** The notifier's database is unreachable; retry later with the same key. */
  unavailable: 'NOTIFY_ERR_UNAVAILABLE',
} as const;

const broadcastTextSchema = z
  .string()
  .max(BROADCAST_TEXT_LENGTH_MAX)
  .refine((text) => text.trim().length > 0, 'must not be empty or only whitespace');

export const broadcastV1 = defineCommand({
  context: 'notify',
  name: 'broadcast',
  version: 1,
  description:
    'An admin sends a message to every user who has not blocked the bot, in each user\'s language (`texts.en`, `texts.ru`), ' +
    'as plain text. Recipients are queued in user-id order, in chunks, behind every other notification; a crash resumes ' +
    'where it stopped. The same idempotency key with the same request answers the first broadcast again; with another ' +
    'request NOTIFY_ERR_IDEMPOTENCY_CONFLICT. `recipients` counts the users reachable when the broadcast was accepted.',
  idempotent: true,
  request: z.object({
    idempotencyKey: idempotencyKeySchema,
    adminId: z.uuid(),
    texts: z.object({ en: broadcastTextSchema, ru: broadcastTextSchema }),
  }),
  response: z.object({ broadcastId: z.uuid(), recipients: z.number().int().nonnegative() }),
  errors: [NotifyCommandErrors.idempotencyConflict, NotifyCommandErrors.unavailable],
});

/** The notifier's commands, for the catalogue (`allCommands`) and the docs. */
export const notifyCommands: readonly CommandDefinition[] = [broadcastV1];

export const broadcastProgressedV1 = defineEvent({
  context: 'notify',
  aggregate: 'broadcast',
  name: 'progressed',
  version: 1,
  description:
    'Another chunk of a broadcast\'s recipients was queued for delivery. `enqueued` counts all queued so far; `recipients` ' +
    'is the count when the broadcast was accepted (users registering later are queued too, so `enqueued` may exceed it). ' +
    '`subject` is the broadcast id.',
  schema: z.object({
    broadcastId: z.uuid(),
    adminId: z.uuid(),
    recipients: z.number().int().nonnegative(),
    enqueued: z.number().int().nonnegative(),
    progressedAt: z.iso.datetime({ offset: true }),
  }),
});

export const broadcastCompletedV1 = defineEvent({
  context: 'notify',
  aggregate: 'broadcast',
  name: 'completed',
  version: 1,
  description:
    'Every queued message of a broadcast reached a final state: `delivered`, `blocked` (the user blocked the bot), ' +
    '`failed` (Telegram refused it) or `unconfirmed` (no answer came; never sent twice). `subject` is the broadcast id.',
  schema: z.object({
    broadcastId: z.uuid(),
    adminId: z.uuid(),
    enqueued: z.number().int().nonnegative(),
    delivered: z.number().int().nonnegative(),
    blocked: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    unconfirmed: z.number().int().nonnegative(),
    completedAt: z.iso.datetime({ offset: true }),
  }),
});

/** The broadcast events, for the catalogue (`allEvents`) and the docs. */
export const broadcastEvents: readonly EventDefinition[] = [broadcastProgressedV1, broadcastCompletedV1];
