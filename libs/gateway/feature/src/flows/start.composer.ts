import { Composer, InlineKeyboard } from 'grammy';
import type { LanguageCode } from '@strongbox/shared-contracts';
import { changeLanguage, registerUser, type UserRow } from '@strongbox/gateway-data-access';
import type { BotContext, FlowDeps } from './flow.context';
import { showMainMenu } from './menu';
import { languageFromTelegram } from './user.middleware';

const REFERRAL_CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The referral code in `/start <code>`, when it is well-formed; anything else is ignored. */
export function referralCodeFromPayload(payload: string): string | null {
  const code = payload.trim();
  return REFERRAL_CODE_PATTERN.test(code) ? code : null;
}

/** The user, or a polite "send /start first" (and undefined) when the account is not registered. */
export async function requireUser(ctx: BotContext): Promise<UserRow | undefined> {
  if (ctx.user) return ctx.user;
  await ctx.reply(ctx.t('not-registered'));
  return undefined;
}

const LANGUAGES: readonly LanguageCode[] = ['en', 'ru'];

/** The language picker; each button carries its language code. */
export async function showLanguageChoice(ctx: BotContext, deps: Pick<FlowDeps, 'buttons'>): Promise<void> {
  const intentId = deps.buttons.newIntentId();
  const keyboard = new InlineKeyboard();
  for (const language of LANGUAGES) {
    keyboard.text(ctx.i18n.fluent.translate(language, 'language-name'), deps.buttons.sign(ctx, { action: 'lang.set', intentId, payload: language }));
  }
  await ctx.reply(ctx.t('language-choose'), { reply_markup: keyboard });
}

/**
 * `/start` (with an optional referral code), `/menu`, `/language` and the language buttons.
 * Registration shows the one-time recovery code — the only moment it exists in clear — then the
 * language choice and the menu; the welcome itself comes from the notifier once the ledger has
 * opened the wallet.
 */
export function createStartComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.command('start', async (ctx) => {
    if (ctx.user) {
      await ctx.reply(ctx.t('start-welcome-back', { name: ctx.from.first_name }));
      await showMainMenu(ctx, deps);
      return;
    }
    const registered = await registerUser(ctx.tx, {
      namespace: deps.namespace,
      telegramUserId: BigInt(ctx.from.id),
      chatId: BigInt(ctx.chat.id),
      languageCode: languageFromTelegram(ctx.from.language_code),
      referralCode: referralCodeFromPayload(ctx.match),
    });
    ctx.user = registered.user;
    if (registered.created) {
      // protect_content: the code cannot be forwarded or saved from the chat by a careless tap.
      await ctx.reply(ctx.t('start-recovery-code', { code: registered.recoveryCode }), { protect_content: true });
      await showLanguageChoice(ctx, deps);
    }
    await showMainMenu(ctx, deps);
  });

  privateChats.command('menu', async (ctx) => {
    if (!(await requireUser(ctx))) return;
    await showMainMenu(ctx, deps);
  });

  privateChats.command('language', async (ctx) => {
    if (!(await requireUser(ctx))) return;
    await showLanguageChoice(ctx, deps);
  });

  deps.buttons.onButton('menu.language', { once: false }, async (ctx) => {
    if (!(await requireUser(ctx))) return;
    await showLanguageChoice(ctx, deps);
  });

  deps.buttons.onButton('menu.show', { once: false, menuBound: false }, async (ctx) => {
    if (!(await requireUser(ctx))) return;
    await showMainMenu(ctx, deps);
  });

  deps.buttons.onButton('lang.set', { once: false, menuBound: false }, async (ctx, button) => {
    const user = await requireUser(ctx);
    if (!user) return;
    const language = LANGUAGES.find((candidate) => candidate === button.payload);
    if (!language) return;
    await changeLanguage(ctx.tx, { namespace: deps.namespace, userId: user.id, languageCode: language });
    ctx.user = { ...user, languageCode: language };
    ctx.i18n.useLocale(language);
    await ctx.reply(ctx.t('language-changed'));
    await showMainMenu(ctx, deps);
  });

  return composer;
}
