import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createI18n, duplicateMessageIds, localesFolder, missingTranslations, messageIdsOf, SUPPORTED_LOCALES } from './index';

/** A value for every variable any locale file names: Fluent throws on a variable it is not given. */
function everyVariable(): Record<string, string> {
  const sources = readdirSync(localesFolder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ftl'))
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'));
  return Object.fromEntries(sources.flatMap((source) => [...source.matchAll(/\$([A-Za-z][A-Za-z0-9_-]*)/g)].map((match) => [match[1], '1'])));
}

describe('shared locales', () => {
  it('has every message in every supported locale', () => {
    expect(missingTranslations()).toEqual([]);
  });

  it('defines each key once per locale, across all files', () => {
    expect(duplicateMessageIds()).toEqual([]);
  });

  it('formats every message of every locale without a Fluent error', () => {
    const i18n = createI18n();
    const variables = everyVariable();
    for (const locale of SUPPORTED_LOCALES) {
      for (const id of messageIdsOf(locale)) {
        // A broken reference or syntax renders as the id itself.
        expect(i18n.t(locale, id, variables), `${locale}: ${id}`).not.toBe(id);
      }
    }
  });

  it('speaks each language in its own words', () => {
    const i18n = createI18n();
    expect(i18n.t('en', 'language-name')).toBe('English');
    expect(i18n.t('ru', 'language-name')).toBe('Русский');
  });

  it('leaves no bidi isolation marks around variables', () => {
    const directory = mkdtempSync(join(tmpdir(), 'sb-i18n-'));
    try {
      for (const locale of SUPPORTED_LOCALES) {
        mkdirSync(join(directory, locale));
        writeFileSync(join(directory, locale, 'x.ftl'), 'amount = { $amount } USDT\n');
      }
      expect(createI18n({ directory }).t('en', 'amount', { amount: '1.5' })).toBe('1.5 USDT');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('missingTranslations', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sb-i18n-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('names a key that one locale lacks, in nested files too', () => {
    mkdirSync(join(directory, 'en', 'area'), { recursive: true });
    mkdirSync(join(directory, 'ru'));
    writeFileSync(join(directory, 'en', 'area', 'a.ftl'), 'hello = Hello\nbye = Bye\n-brand = Strongbox\n');
    writeFileSync(join(directory, 'ru', 'a.ftl'), 'hello = Привет\n');
    expect(missingTranslations(directory)).toEqual(['ru: bye']);
  });
});
