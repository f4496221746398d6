export { createI18n, localesFolder, SUPPORTED_LOCALES, DEFAULT_LOCALE, type CreateI18nOptions } from './i18n';
export { missingTranslations, messageIdsOf, duplicateMessageIds } from './completeness';
