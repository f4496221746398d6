import type { MessageEntity } from 'grammy/types';
import { FormattedString } from '@grammyjs/parse-mode';
import type { I18n } from '@grammyjs/i18n';
import type { LanguageCode } from '@strongbox/shared-contracts';

/** A value placed into a translated text as it is, styled; its characters are never read as markup. */
export interface Piece {
  readonly text: string;
  readonly style?: 'bold' | 'code' | 'italic';
}

export interface RenderInput {
  /** Values Fluent itself needs (plural and select keys): numbers and enum words only, never free text. */
  readonly vars?: Readonly<Record<string, string | number>>;
  /** Values shown to the user, placed after translation. */
  readonly pieces?: Readonly<Record<string, Piece>>;
}

export interface RenderedText {
  readonly text: string;
  readonly entities: MessageEntity[];
}

/** Telegram's limit on one message's text. */
export const MESSAGE_TEXT_LENGTH_MAX = 4_096;

// Pieces travel through Fluent as private-use markers and are swapped for formatted text after
// translation: Fluent knows nothing of Telegram entities, and parse-mode knows nothing of Fluent,
// so this is the one place the two meet. A marker cannot come from a translation or a value.
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';
const MARKER_PATTERN = /\uE000(\d+)\uE001/g;

function styled(piece: Piece): FormattedString {
  switch (piece.style) {
    case 'bold':
      return FormattedString.bold(piece.text);
    case 'code':
      return FormattedString.code(piece.text);
    case 'italic':
      return FormattedString.italic(piece.text);
    default:
      return new FormattedString(piece.text);
  }
}

export class RenderError extends Error {
  readonly code = 'NOTIFY_ERR_RENDER';
}

/**
 * Translates `key` into `locale` and returns Telegram text with entities (no parse mode, so no
 * escaping). Throws RenderError when the key is unknown, a variable is missing, or the text
 * is empty or longer than Telegram allows.
 *
 * @example
 * renderText(i18n, 'ru', 'notify-deposit-confirmed', { pieces: { amount: { text: '1.5 USDT', style: 'bold' } } });
 */
export function renderText(i18n: I18n, locale: LanguageCode, key: string, input: RenderInput = {}): RenderedText {
  const pieceNames = Object.keys(input.pieces ?? {});
  const fluentArgs: Record<string, string | number> = { ...input.vars };
  pieceNames.forEach((name, index) => {
    fluentArgs[name] = `${MARK_OPEN}${index}${MARK_CLOSE}`;
  });
  let translated: string;
  try {
    translated = i18n.t(locale, key, fluentArgs);
  } catch (error) {
    // Fluent throws on a variable it was not given.
    throw new RenderError(`text "${key}" in ${locale}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (translated === key || translated === `{${key}}`) throw new RenderError(`no text "${key}" in locale ${locale}`);

  const parts: FormattedString[] = [];
  let last = 0;
  for (const match of translated.matchAll(MARKER_PATTERN)) {
    const name = pieceNames[Number(match[1])];
    const piece = name === undefined ? undefined : input.pieces?.[name];
    if (piece === undefined) throw new RenderError(`text "${key}" holds an unknown piece marker`);
    parts.push(new FormattedString(translated.slice(last, match.index)), styled(piece));
    last = match.index + match[0].length;
  }
  parts.push(new FormattedString(translated.slice(last)));
  const formatted = FormattedString.join(parts);
  if (formatted.text.trim().length === 0 || formatted.text.length > MESSAGE_TEXT_LENGTH_MAX) {
    throw new RenderError(`text "${key}" in ${locale} is ${formatted.text.length} characters; Telegram takes 1..${MESSAGE_TEXT_LENGTH_MAX}`);
  }
  return { text: formatted.text, entities: formatted.entities };
}
