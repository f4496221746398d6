import { InlineKeyboard } from 'grammy';
import type { BotContext, FlowDeps } from './flow.context';

/** The main menu's entries: the button text key and the action its press runs. */
export const MAIN_MENU = [
  ['menu-balance', 'menu.balance'],
  ['menu-deposit', 'menu.deposit'],
  ['menu-withdraw', 'menu.withdraw'],
  ['menu-transfer', 'menu.transfer'],
  ['menu-plans', 'menu.plans'],
  ['menu-referral', 'menu.referral'],
  ['menu-support', 'menu.support'],
  ['menu-language', 'menu.language'],
] as const;

/**
 * Shows the main menu as a new message with a fresh intent id, which becomes the session's current
 * menu: a press on any older menu is answered "out of date" and this one is shown again.
 */
export async function showMainMenu(ctx: BotContext, deps: Pick<FlowDeps, 'buttons'>): Promise<void> {
  const intentId = deps.buttons.newIntentId();
  ctx.session.menuIntent = intentId;
  const keyboard = new InlineKeyboard();
  MAIN_MENU.forEach(([textKey, action], index) => {
    keyboard.text(ctx.t(textKey), deps.buttons.sign(ctx, { action, intentId }));
    if (index % 2 === 1) keyboard.row();
  });
  await ctx.reply(ctx.t('menu-title'), { reply_markup: keyboard });
}

/** A one-button keyboard back to the menu, for the end of a screen. */
export function backToMenu(ctx: BotContext, deps: Pick<FlowDeps, 'buttons'>): InlineKeyboard {
  return new InlineKeyboard().text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId: deps.buttons.newIntentId() }));
}
