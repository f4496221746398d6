import { fileURLToPath } from 'node:url';
import { I18n } from '@grammyjs/i18n';
import type { Context } from 'grammy';
import type { LanguageCode } from '@strongbox/shared-contracts';

/**
 * Folder of the Fluent locales, `<locale>/<area>.ftl` (one file per service area, e.g. `bot.ftl`,
 * `notifier.ftl`). Resolved beside the calling module: this file in the source tree, and
 * `dist/apps/<service>/main.js` in a build (the build copies the folder there).
 */
export const localesFolder = fileURLToPath(new URL('./locales', import.meta.url));

/** The locales every text must exist in; `en` is the fallback. */
export const SUPPORTED_LOCALES: readonly LanguageCode[] = ['en', 'ru'];
export const DEFAULT_LOCALE: LanguageCode = 'en';

export interface CreateI18nOptions<C extends Context> {
  /** Picks the locale of an update (the bot's stored user language); without it, `en`. */
  readonly localeNegotiator?: (ctx: C) => LanguageCode | undefined | PromiseLike<LanguageCode | undefined>;
  /** Another folder of the same layout, for tests. */
  readonly directory?: string;
}

/**
 * One grammY i18n instance over the shared Fluent locales, for the bot (`bot.use(i18n)`) and for
 * services that format outside an update (`i18n.t(locale, key, vars)`).
 *
 * Fluent's bidi isolation marks are off: every text is left-to-right, and the marks would end up
 * inside amounts and addresses users copy.
 */
export function createI18n<C extends Context = Context>(options: CreateI18nOptions<C> = {}): I18n<C> {
  const i18n = new I18n<C>({
    defaultLocale: DEFAULT_LOCALE,
    fluentBundleOptions: { useIsolating: false },
    ...(options.localeNegotiator ? { localeNegotiator: options.localeNegotiator } : {}),
  });
  i18n.loadLocalesDirSync(options.directory ?? localesFolder);
  return i18n;
}
