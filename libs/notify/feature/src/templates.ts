import type { LanguageCode } from '@strongbox/shared-contracts';

/** Message templates by language. Every text a user can receive exists in every language. */
export const templates = {
  welcome: {
    en: 'Welcome to Strongbox! Your wallet is open and ready. Use the menu to deposit, check your balance or withdraw.',
    ru: 'Добро пожаловать в Strongbox! Ваш кошелёк открыт и готов к работе. Пополнение, баланс и вывод — в меню.',
  },
} as const satisfies Record<string, Record<LanguageCode, string>>;

export type TemplateName = keyof typeof templates;

/** The text of a template in the recipient's language (English when the language is unknown). */
export function render(template: TemplateName, languageCode: string): string {
  const byLanguage: Record<string, string> = templates[template];
  return byLanguage[languageCode] ?? templates[template].en;
}
