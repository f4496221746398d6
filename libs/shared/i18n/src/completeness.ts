import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FluentResource } from '@fluent/bundle';
import { localesFolder, SUPPORTED_LOCALES } from './i18n';

/** `.ftl` files under a folder, at any depth. */
function ftlFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ftl'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Message ids (not terms, which start with `-` and are private to a locale) of one locale's files. */
export function messageIdsOf(locale: string, directory = localesFolder): Set<string> {
  const ids = new Set<string>();
  for (const file of ftlFiles(join(directory, locale))) {
    for (const entry of new FluentResource(readFileSync(file, 'utf8')).body) {
      if (!entry.id.startsWith('-')) ids.add(entry.id);
    }
  }
  return ids;
}

/** Every `locale: key` that exists in one supported locale and not in another; empty when complete. */
export function missingTranslations(directory = localesFolder): string[] {
  const byLocale = new Map(SUPPORTED_LOCALES.map((locale) => [locale, messageIdsOf(locale, directory)]));
  const all = new Set([...byLocale.values()].flatMap((ids) => [...ids]));
  const missing: string[] = [];
  for (const [locale, ids] of byLocale) {
    for (const id of all) if (!ids.has(id)) missing.push(`${locale}: ${id}`);
  }
  return missing.sort();
}

/** Every `locale: key` defined in more than one file (or twice in one): Fluent would keep only the first. */
export function duplicateMessageIds(directory = localesFolder): string[] {
  const duplicates: string[] = [];
  for (const locale of SUPPORTED_LOCALES) {
    const seen = new Set<string>();
    for (const file of ftlFiles(join(directory, locale))) {
      for (const entry of new FluentResource(readFileSync(file, 'utf8')).body) {
        if (seen.has(entry.id)) duplicates.push(`${locale}: ${entry.id}`);
        seen.add(entry.id);
      }
    }
  }
  return duplicates.sort();
}
