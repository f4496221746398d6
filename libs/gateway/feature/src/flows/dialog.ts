import { InlineKeyboard, type Composer } from 'grammy';
import type { UserRow } from '@strongbox/gateway-data-access';
import { activeDialog, advanceDialog, type BotContext, type DialogState, type FlowDeps } from './flow.context';
import { requireUser } from './start.composer';

// ---------------------------------------------------------------------------------------------
// What every dialog does the same way: take the user's text answers for one dialog kind, and end
// with a confirmation screen whose buttons carry one intent id.
// ---------------------------------------------------------------------------------------------

export interface DialogAnswer {
  readonly dialog: DialogState;
  /** The registered user; undefined only for dialogs with `registered: false` (recovery). */
  readonly user: UserRow | undefined;
  readonly text: string;
}

/**
 * Registers the text handler of a dialog kind. Messages reach it only while such a dialog is in
 * progress (and not at a skipped step, e.g. the confirmation screen, which takes buttons); commands
 * and other updates pass on; a non-text message gets "please answer with text".
 */
export function onDialogText(
  composer: Composer<BotContext>,
  kind: string,
  handler: (ctx: BotContext, answer: DialogAnswer) => Promise<void>,
  options: { readonly skipSteps?: readonly string[]; readonly registered?: boolean } = {},
): void {
  composer.chatType('private').on('message', async (ctx, next) => {
    const dialog = activeDialog(ctx, kind);
    if (!dialog || options.skipSteps?.includes(dialog.step)) return next();
    const user = options.registered === false ? ctx.user : await requireUser(ctx);
    if (options.registered !== false && !user) return;
    const text = ctx.message.text;
    if (text === undefined) {
      await ctx.reply(ctx.t('input-expected-text'));
      return;
    }
    if (text.startsWith('/')) return next();
    await handler(ctx, { dialog, user, text });
  });
}

/**
 * Moves the dialog to its `confirm` step with a fresh intent id (added to the dialog's data as
 * `intentId`) and shows `text` with confirm and cancel buttons (`<prefix>.confirm`,
 * `<prefix>.cancel`) that share it. The screen becomes the session's current menu, so a press on an
 * older screen is answered "out of date"; the intent id is what once-buttons claim and what money
 * commands derive their idempotency keys from.
 */
export async function showConfirmation(
  ctx: BotContext,
  deps: Pick<FlowDeps, 'buttons'>,
  options: { readonly prefix: string; readonly data: Record<string, string>; readonly text: string },
): Promise<string> {
  const intentId = deps.buttons.newIntentId();
  advanceDialog(ctx, 'confirm', { ...options.data, intentId });
  ctx.session.menuIntent = intentId;
  const keyboard = new InlineKeyboard()
    .text(ctx.t('withdraw-confirm-button'), deps.buttons.sign(ctx, { action: `${options.prefix}.confirm`, intentId }))
    .text(ctx.t('withdraw-cancel-button'), deps.buttons.sign(ctx, { action: `${options.prefix}.cancel`, intentId }));
  await ctx.reply(options.text, { reply_markup: keyboard });
  return intentId;
}
