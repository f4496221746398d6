import { describe, expect, it } from 'vitest';
import { createI18n, SUPPORTED_LOCALES } from '@strongbox/shared-i18n';
import { BOT_COMMANDS, localizedCommands } from './commands.menu';

describe('localized command menus', () => {
  const i18n = createI18n();

  it.each(SUPPORTED_LOCALES)('has a translated description for every command in %s, as Telegram allows', (locale) => {
    const commands = localizedCommands((language, key) => i18n.t(language, key), locale);
    expect(commands.map((entry) => entry.command)).toEqual(BOT_COMMANDS.map(([command]) => command));
    for (const { command, description } of commands) {
      expect(command).toMatch(/^[a-z0-9_]{1,32}$/);
      expect(description.length).toBeGreaterThanOrEqual(1);
      expect(description.length).toBeLessThanOrEqual(256);
      // A missing key comes back as the key itself.
      expect(description).not.toMatch(/^menu-command-/);
    }
  });

  it('differs between English and Russian', () => {
    const english = localizedCommands((language, key) => i18n.t(language, key), 'en');
    const russian = localizedCommands((language, key) => i18n.t(language, key), 'ru');
    english.forEach((entry, index) => expect(russian[index]!.description).not.toBe(entry.description));
  });
});
