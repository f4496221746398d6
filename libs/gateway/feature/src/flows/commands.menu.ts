import type { Api, RawApi } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { LanguageCode } from '@strongbox/shared-contracts';

/** The commands in the chat's menu, in the order shown, each with its description's text key. */
export const BOT_COMMANDS: ReadonlyArray<readonly [command: string, textKey: string]> = [
  ['start', 'menu-command-start'],
  ['menu', 'menu-command-menu'],
  ['balance', 'menu-command-balance'],
  ['deposit', 'menu-command-deposit'],
  ['withdraw', 'menu-command-withdraw'],
  ['transfer', 'menu-command-transfer'],
  ['plans', 'menu-command-plans'],
  ['referral', 'menu-command-referral'],
  ['support', 'menu-command-support'],
  ['recover', 'menu-command-recover'],
  ['recovery_code', 'menu-command-recovery-code'],
  ['language', 'menu-command-language'],
];

/** Translates a key in a locale (e.g. `i18n.t` of createI18n). */
export type Translate = (locale: LanguageCode, key: string) => string;

/** The command list in one language. */
export function localizedCommands(translate: Translate, locale: LanguageCode): BotCommand[] {
  return BOT_COMMANDS.map(([command, key]) => ({ command, description: translate(locale, key) }));
}

/**
 * Sets the chat command menu: English as the default for every language, and Russian for clients
 * set to Russian (Telegram picks the list by the user's client language, not by the language
 * chosen in the bot; the bot's own texts follow the stored choice).
 */
export async function setLocalizedCommands(api: Api<RawApi>, translate: Translate): Promise<void> {
  await api.setMyCommands(localizedCommands(translate, 'en'));
  await api.setMyCommands(localizedCommands(translate, 'ru'), { language_code: 'ru' });
}
