import { Composer, InlineKeyboard } from 'grammy';
import { onDialogText } from './dialog';
import { GatewayError, GatewayErrorCodes, issueRecoveryCode, requestRecovery } from '@strongbox/gateway-data-access';
import { endDialog, startDialog, type BotContext, type FlowDeps } from './flow.context';
import { requireUser } from './start.composer';

/** What each refusal of `requestRecovery` tells the user, and whether they may try another code. */
const REFUSALS: Readonly<Record<string, { key: string; retry: boolean }>> = {
  [GatewayErrorCodes.recoveryCodeInvalid]: { key: 'recover-code-invalid', retry: true },
  [GatewayErrorCodes.recoveryAccountRegistered]: { key: 'recover-already-registered', retry: false },
  [GatewayErrorCodes.recoveryConflict]: { key: 'recover-conflict', retry: false },
};

/**
 * Account recovery. `/recover` from a Telegram account that is not a user asks for the recovery
 * code and files a request an admin decides later (nothing moves before that). A registered user
 * can replace their code with `/recovery_code`, after a confirmation: the new code is shown once,
 * with protect_content, and never stored in clear (the button's stored outcome does not hold it).
 */
export function createRecoverComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.command('recover', async (ctx) => {
    if (ctx.user) {
      await ctx.reply(ctx.t('recover-already-registered'));
      return;
    }
    startDialog(ctx, 'recover', 'code');
    await ctx.reply(ctx.t('recover-ask-code'));
  });

  onDialogText(
    composer,
    'recover',
    async (ctx, { text }) => {
      if (!ctx.from || !ctx.chat) return;
      try {
        await requestRecovery(ctx.tx, { namespace: deps.namespace, code: text, newTelegramUserId: BigInt(ctx.from.id), newChatId: BigInt(ctx.chat.id) });
      } catch (error) {
        const refusal = error instanceof GatewayError ? REFUSALS[error.code] : undefined;
        if (!refusal) throw error;
        if (!refusal.retry) endDialog(ctx);
        await ctx.reply(ctx.t(refusal.key));
        return;
      }
      endDialog(ctx);
      // Asking again while a request is pending answers the same: it is received, an admin decides.
      await ctx.reply(ctx.t('recover-requested'));
    },
    // Recovery is asked for from a Telegram account that is not a user.
    { registered: false },
  );

  privateChats.command('recovery_code', async (ctx) => {
    if (!(await requireUser(ctx))) return;
    const intentId = deps.buttons.newIntentId();
    const keyboard = new InlineKeyboard()
      .text(ctx.t('recovery-code-confirm-button'), deps.buttons.sign(ctx, { action: 'rc.new', intentId }))
      .text(ctx.t('withdraw-cancel-button'), deps.buttons.sign(ctx, { action: 'menu.show', intentId }));
    await ctx.reply(ctx.t('recovery-code-confirm'), { reply_markup: keyboard });
  });

  deps.buttons.onButton('rc.new', { once: true, menuBound: false }, async (ctx) => {
    const user = await requireUser(ctx);
    if (!user) return null;
    const code = await issueRecoveryCode(ctx.tx, user.id);
    await ctx.reply(ctx.t('recovery-code-new', { code }), { protect_content: true });
    return { issued: true };
  });

  return composer;
}
