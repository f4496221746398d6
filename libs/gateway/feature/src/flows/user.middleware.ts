import type { MiddlewareFn } from 'grammy';
import { findUserByTelegramId } from '@strongbox/gateway-data-access';
import type { LanguageCode } from '@strongbox/shared-contracts';
import type { BotContext } from './flow.context';

/** The product's language for a Telegram language code: Russian for `ru*`, English otherwise. */
export function languageFromTelegram(code: string | undefined): LanguageCode {
  return code?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

/** The language of the update: the user's choice once registered, else Telegram's. */
export function localeOf(ctx: BotContext): LanguageCode {
  const stored = ctx.user?.languageCode;
  if (stored === 'en' || stored === 'ru') return stored;
  return languageFromTelegram(ctx.from?.language_code);
}

/**
 * Puts the Strongbox user of the Telegram account on the context (read in the update's
 * transaction, so what a handler writes later in this update is seen consistently). Installed
 * after the worker's transaction middleware and before i18n, whose negotiator reads it.
 */
export function userMiddleware(): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    const user = ctx.from ? await findUserByTelegramId(ctx.tx, BigInt(ctx.from.id)) : undefined;
    Object.defineProperty(ctx, 'user', { value: user, writable: true, enumerable: false });
    await next();
  };
}

/**
 * Refuses a blacklisted user politely, whatever they send (a button press is answered too, so the
 * spinner stops). Support stays open to them: it is how they dispute the restriction.
 */
export function blacklistGate(): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    if (!ctx.user?.blacklisted) return next();
    const text = ctx.message?.text ?? '';
    // The action is the callback data's first field; the signed-buttons middleware verifies it later.
    const action = ctx.callbackQuery?.data?.split('|', 1)[0] ?? '';
    const supportButton = action.startsWith('sup.') || action === 'menu.support';
    if (text.startsWith('/support') || supportButton || ctx.session.dialog?.kind === 'support') return next();
    if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
    if (ctx.chat?.type === 'private') await ctx.reply(ctx.t('blacklisted'));
  };
}
