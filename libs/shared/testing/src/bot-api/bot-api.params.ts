import type { MessageEntity } from 'grammy/types';
import { isUploadedFile, type CallParams, type UploadedFile } from './bot-api.body';
import type { ReplyMarkup } from './bot-api.types';

// ---------------------------------------------------------------------------------------------
// Parameter coercion and validation, with Telegram's own error descriptions. Form and multipart
// bodies carry every value as a string, so numbers, booleans and JSON objects are accepted in
// both their native and their string form, as the real Bot API does.
// ---------------------------------------------------------------------------------------------

/** A Bot API error answer: `{ ok: false, error_code, description, parameters? }`. */
export class BotApiFailure extends Error {
  override readonly name = 'BotApiFailure';

  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly retryAfterS?: number,
  ) {
    super(description);
  }
}

/** A 400 answer: `Bad Request: <detail>`. */
export function badRequest(detail: string): BotApiFailure {
  return new BotApiFailure(400, `Bad Request: ${detail}`);
}

/** Largest inline keyboard Telegram accepts. */
export const INLINE_BUTTONS_MAX = 100;
/** callback_data is 1..64 bytes. */
export const CALLBACK_DATA_BYTES_MAX = 64;

export function readString(params: CallParams, key: string): string | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw badRequest(`field "${key}" must be of type String`);
}

export function readInteger(params: CallParams, key: string): number | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?[0-9]{1,16}$/.test(value.trim())) return Number(value.trim());
  throw badRequest(`field "${key}" must be of type Integer`);
}

export function readBoolean(params: CallParams, key: string): boolean | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  throw badRequest(`field "${key}" must be of type Boolean`);
}

/** A JSON-valued parameter, as an object in JSON bodies or as a JSON string in forms. */
export function readJson(params: CallParams, key: string, what: string): unknown {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw badRequest(`can't parse ${what} JSON object`);
  }
}

/** `chat_id`: an integer; `@username` chats do not exist in the emulator. */
export function readChatId(params: CallParams): number {
  const value = params['chat_id'];
  if (value === undefined || value === null || value === '') throw badRequest('chat_id is empty');
  if (typeof value === 'string' && value.startsWith('@')) throw badRequest('chat not found');
  const chatId = readInteger(params, 'chat_id');
  if (chatId === undefined) throw badRequest('chat_id is empty');
  return chatId;
}

export function readMessageId(params: CallParams): number {
  const messageId = readInteger(params, 'message_id');
  if (messageId === undefined) throw badRequest('message identifier is not specified');
  return messageId;
}

/** A file parameter: an upload (direct or `attach://<part>`) or a string (file_id or URL). */
export function readInputFile(params: CallParams, key: string): UploadedFile | string | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (isUploadedFile(value)) return value;
  if (typeof value !== 'string') throw badRequest(`wrong type of the field "${key}"`);
  if (value.startsWith('attach://')) {
    const attached = params[value.slice('attach://'.length)];
    if (!isUploadedFile(attached)) throw badRequest(`wrong file identifier/HTTP URL specified`);
    return attached;
  }
  return value;
}

/** Explicit `entities` / `caption_entities`, checked to lie within the text. */
export function readEntities(params: CallParams, key: string, textLength: number): MessageEntity[] | undefined {
  const value = readJson(params, key, 'entities');
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw badRequest(`can't parse entities JSON object`);
  return value.map((entity: unknown) => {
    const candidate = entity as Partial<MessageEntity> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      typeof candidate.type !== 'string' ||
      typeof candidate.offset !== 'number' ||
      typeof candidate.length !== 'number' ||
      candidate.offset < 0 ||
      candidate.length <= 0 ||
      candidate.offset + candidate.length > textLength
    ) {
      throw badRequest(`can't parse entities: invalid entity ${JSON.stringify(entity)}`);
    }
    return candidate as MessageEntity;
  });
}

// ---------------------------------------------------------------------------------------------
// Reply markup
// ---------------------------------------------------------------------------------------------

const INLINE_BUTTON_ACTIONS = [
  'callback_data',
  'url',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
  'web_app',
] as const;

/**
 * Validates `reply_markup` like Telegram: inline buttons need a text and an action,
 * callback_data is 1..64 bytes, URLs must be http(s) or tg links. `inlineOnly` is for edits,
 * which only take inline keyboards.
 */
export function readReplyMarkup(params: CallParams, inlineOnly: boolean): ReplyMarkup | undefined {
  const value = readJson(params, 'reply_markup', 'reply keyboard markup');
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest("can't parse reply keyboard markup JSON object");
  const markup = value as Record<string, unknown>;

  if ('inline_keyboard' in markup) {
    const rows = markup['inline_keyboard'];
    if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) throw badRequest('field "inline_keyboard" must be an Array of Arrays');
    let buttons = 0;
    for (const row of rows as unknown[][]) {
      for (const button of row) {
        buttons += 1;
        if (buttons > INLINE_BUTTONS_MAX) throw badRequest('reply markup is too long');
        validateInlineButton(button);
      }
    }
    return { inline_keyboard: rows } as ReplyMarkup;
  }
  if (inlineOnly) throw badRequest('inline keyboard expected');
  if ('keyboard' in markup) {
    const rows = markup['keyboard'];
    if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) throw badRequest('field "keyboard" must be an Array of Arrays');
    for (const row of rows as unknown[][]) {
      for (const button of row) {
        const text = typeof button === 'string' ? button : (button as { text?: unknown } | null)?.text;
        if (typeof text !== 'string' || text === '') throw badRequest('keyboard button text must be non-empty');
      }
    }
    return markup as unknown as ReplyMarkup;
  }
  if (markup['remove_keyboard'] === true || markup['force_reply'] === true) return markup as unknown as ReplyMarkup;
  throw badRequest("can't parse reply keyboard markup JSON object");
}

function validateInlineButton(button: unknown): void {
  if (typeof button !== 'object' || button === null) throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
  const fields = button as Record<string, unknown>;
  if (typeof fields['text'] !== 'string' || fields['text'] === '') throw badRequest('BUTTON_TEXT_INVALID');
  const actions = INLINE_BUTTON_ACTIONS.filter((action) => fields[action] !== undefined);
  if (actions.length === 0) throw badRequest('text buttons are unallowed in the inline keyboard');
  const data = fields['callback_data'];
  if (data !== undefined) {
    if (typeof data !== 'string') throw badRequest("can't parse inline keyboard button: Field \"callback_data\" must be of type String");
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes < 1 || bytes > CALLBACK_DATA_BYTES_MAX) throw badRequest('BUTTON_DATA_INVALID');
  }
  const url = fields['url'];
  if (url !== undefined && (typeof url !== 'string' || !isButtonUrl(url))) throw badRequest('BUTTON_URL_INVALID');
}

function isButtonUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'tg:';
  } catch {
    return false;
  }
}
