import { formatAmount, type Asset } from '@strongbox/shared-domain';
import type { LanguageCode } from '@strongbox/shared-contracts';

/** Minor units (bigint or its decimal text) as the user reads them: `12.5`, never an exponent. */
export function amountText(minor: bigint | string, asset: Asset): string {
  return formatAmount(typeof minor === 'bigint' ? minor : BigInt(minor), asset, { trimZeros: true });
}

/** A date and time in the user's language, UTC (the bot does not know the user's time zone). */
export function dateText(iso: string | Date, language: LanguageCode): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return `${new Intl.DateTimeFormat(language === 'ru' ? 'ru-RU' : 'en-GB', { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' }).format(date)} UTC`;
}
