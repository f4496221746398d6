import type { BotCommand, InlineKeyboardMarkup, Message, MessageEntity, PhotoSize, WebhookInfo } from 'grammy/types';
import { isUploadedFile, type CallParams, type UploadedFile } from './bot-api.body';
import type { FloodLimiter } from './bot-api.flood';
import { imageDimensions } from './bot-api.image';
import { formatText, toParseMode, trimWithEntities, type ParseMode } from './bot-api.markup';
import {
  BotApiFailure,
  badRequest,
  readBoolean,
  readChatId,
  readEntities,
  readInputFile,
  readInteger,
  readJson,
  readMessageId,
  readReplyMarkup,
  readString,
} from './bot-api.params';
import type { BotApiState, ChatState, StoredFile } from './bot-api.state';
import type { ReplyMarkup, SentMessageVersion, SentPhoto } from './bot-api.types';

// ---------------------------------------------------------------------------------------------
// The Bot API methods the emulator answers, each a synchronous function of the parameters and
// the emulated Telegram's state. getUpdates is the one asynchronous method (it may hold the
// request); the server implements it, this table only knows its name.
// ---------------------------------------------------------------------------------------------

/** Longest message text, in UTF-16 code units after markup is parsed, as Telegram counts it. */
export const TEXT_LENGTH_MAX = 4_096;
/** Longest photo caption. */
export const CAPTION_LENGTH_MAX = 1_024;
/** Longest notification text of answerCallbackQuery. */
export const CALLBACK_ANSWER_TEXT_MAX = 200;
/** Largest photo upload Telegram accepts. */
export const PHOTO_BYTES_MAX = 10 * 1024 * 1024;
/** Width plus height a photo may have at most, and the largest ratio of its sides. */
const PHOTO_DIMENSIONS_SUM_MAX = 10_000;
const PHOTO_SIDE_RATIO_MAX = 20;
/**
 * The emulator does not download photos sent by URL, so it cannot know their size; it answers
 * with this placeholder.
 */
export const URL_PHOTO_PLACEHOLDER = { width: 800, height: 600 } as const;
/** Commands per scope and language, and the length limits of one command. */
export const COMMANDS_MAX = 100;
const COMMAND_PATTERN = /^[a-z0-9_]{1,32}$/;
const COMMAND_DESCRIPTION_LENGTH_MAX = 256;
/** The secret_token of setWebhook: 1..256 of A-Z a-z 0-9 _ -. */
const SECRET_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,256}$/;
const WEBHOOK_MAX_CONNECTIONS_DEFAULT = 40;
const WEBHOOK_MAX_CONNECTIONS_MAX = 100;

const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
const COMMAND_SCOPE_TYPES = new Set([
  'default',
  'all_private_chats',
  'all_group_chats',
  'all_chat_administrators',
  'chat',
  'chat_administrators',
  'chat_member',
]);

/** What a method may touch besides its parameters. */
export interface MethodContext {
  readonly state: BotApiState;
  /** Flood control, when the emulator was started with it. */
  readonly flood: FloodLimiter | undefined;
  /** The webhook was set, changed or deleted: the server starts or stops delivery. */
  webhookChanged(): void;
}

/** One method: parameters in, the `result` of the answer out, or a BotApiFailure thrown. */
export type MethodHandler = (params: CallParams, context: MethodContext) => unknown;

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

interface FormattedText {
  readonly raw: string;
  readonly parseMode: ParseMode | undefined;
  readonly text: string;
  readonly entities: MessageEntity[];
}

/**
 * Text or caption with its entities: explicit entities win over parse_mode, as in the Bot API;
 * otherwise the markup is parsed and broken markup is a 400 "can't parse entities".
 */
function readFormatted(params: CallParams, key: 'text' | 'caption', entitiesKey: 'entities' | 'caption_entities'): FormattedText {
  const raw = readString(params, key) ?? '';
  const parseModeName = readString(params, 'parse_mode');
  let parseMode: ParseMode | undefined;
  if (parseModeName !== undefined && parseModeName !== '') {
    parseMode = toParseMode(parseModeName);
    if (parseMode === undefined) throw badRequest('unsupported parse_mode');
  }
  const explicit = readEntities(params, entitiesKey, raw.length);
  if (explicit !== undefined) return { raw, parseMode: undefined, ...trimWithEntities(raw, explicit) };
  const formatted = formatText(raw, parseMode);
  if (!formatted.ok) throw badRequest(`can't parse entities: ${formatted.error}`);
  return { raw, parseMode, text: formatted.text, entities: formatted.entities };
}

/** The part of a reply markup that ends up in `Message.reply_markup`: a non-empty inline keyboard. */
function inlineKeyboardOf(markup: ReplyMarkup | undefined): InlineKeyboardMarkup | undefined {
  if (markup === undefined || !('inline_keyboard' in markup)) return undefined;
  return markup.inline_keyboard.some((row) => row.length > 0) ? markup : undefined;
}

/** Counts a send against the flood limits; 429 with retry_after when over them. */
function passFloodControl(context: MethodContext, chatId: number): void {
  if (context.flood === undefined) return;
  const nowMs = Date.now();
  const decision = context.flood.check(chatId, nowMs);
  if (!decision.allowed) throw new BotApiFailure(429, `Too Many Requests: retry after ${decision.retryAfterS}`, decision.retryAfterS);
  context.flood.record(chatId, nowMs);
}

/** reply_parameters (or the older reply_to_message_id): the replied message must exist unless allowed. */
function readReplyTo(params: CallParams, chat: ChatState, state: BotApiState): Message | undefined {
  const parameters = readJson(params, 'reply_parameters', 'reply parameters');
  let messageId: number | undefined;
  let allowWithoutReply: boolean | undefined;
  if (parameters !== undefined) {
    const fields = parameters as Record<string, unknown> | null;
    if (typeof fields !== 'object' || fields === null || !Number.isSafeInteger(fields['message_id'])) {
      throw badRequest("can't parse reply parameters JSON object");
    }
    messageId = fields['message_id'] as number;
    allowWithoutReply = fields['allow_sending_without_reply'] === true;
    if (fields['chat_id'] !== undefined && Number(fields['chat_id']) !== chat.chat.id && !allowWithoutReply) {
      throw badRequest('message to be replied not found');
    }
  } else {
    messageId = readInteger(params, 'reply_to_message_id');
    allowWithoutReply = readBoolean(params, 'allow_sending_without_reply');
  }
  if (messageId === undefined) return undefined;
  const replied = state.findMessage(chat, messageId);
  if (replied === undefined) {
    if (allowWithoutReply === true) return undefined;
    throw badRequest('message to be replied not found');
  }
  // A replied-to message does not carry its own reply_to_message, as in Telegram.
  delete (replied as { reply_to_message?: unknown }).reply_to_message;
  return replied;
}

/** Checks the flags every send accepts, so a wrong type fails as it would against Telegram. */
function readSendFlags(params: CallParams): void {
  readBoolean(params, 'disable_notification');
  readBoolean(params, 'protect_content');
  readInteger(params, 'message_thread_id');
}

/** The chat and message an edit targets; inline messages do not exist in the emulator. */
function editTarget(params: CallParams, context: MethodContext): { chat: ChatState; messageId: number } {
  const inlineMessageId = readString(params, 'inline_message_id');
  if (inlineMessageId !== undefined && inlineMessageId !== '') throw badRequest('MESSAGE_ID_INVALID');
  const chatId = readChatId(params);
  const messageId = readMessageId(params);
  return { chat: context.state.chatForBot(chatId), messageId };
}

function sameJson(left: unknown, right: unknown): boolean {
  return JSON.stringify(left ?? null) === JSON.stringify(right ?? null);
}

/** A copy of `message` with `key` set, or removed when `value` is undefined or empty. */
function withField<K extends keyof Message>(message: Message, key: K, value: Message[K] | undefined): Message {
  const copy = { ...message };
  if (value === undefined || (Array.isArray(value) && value.length === 0)) delete copy[key];
  else copy[key] = value;
  return copy;
}

function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Unix seconds now, as Telegram writes dates. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

const sendMessage: MethodHandler = (params, context) => {
  const chatId = readChatId(params);
  const content = readFormatted(params, 'text', 'entities');
  if (content.text.length === 0) throw badRequest('message text is empty');
  if (content.text.length > TEXT_LENGTH_MAX) throw badRequest('message is too long');
  const markup = readReplyMarkup(params, false);
  readSendFlags(params);
  const chat = context.state.chatForBot(chatId);
  const replyTo = readReplyTo(params, chat, context.state);
  passFloodControl(context, chatId);
  const inline = inlineKeyboardOf(markup);
  return context.state.botMessage(
    chat,
    {
      text: content.text,
      ...(content.entities.length > 0 ? { entities: content.entities } : {}),
      ...(inline === undefined ? {} : { reply_markup: inline }),
      ...(replyTo === undefined ? {} : { reply_to_message: replyTo as Message['reply_to_message'] }),
    },
    {
      method: 'sendMessage',
      text: content.text,
      caption: undefined,
      rawText: content.raw,
      parseMode: content.parseMode,
      entities: content.entities,
      replyMarkup: markup,
    },
  );
};

const editMessageText: MethodHandler = (params, context) => {
  const { chat, messageId } = editTarget(params, context);
  const content = readFormatted(params, 'text', 'entities');
  if (content.text.length === 0) throw badRequest('message text is empty');
  if (content.text.length > TEXT_LENGTH_MAX) throw badRequest('MESSAGE_TOO_LONG');
  const markup = readReplyMarkup(params, true);
  const { stored, record } = context.state.editableMessage(chat, messageId);
  if (record.kind !== 'text') throw badRequest('there is no text in the message to edit');
  const current = stored.message;
  // Like Telegram, an edit without reply_markup removes the inline keyboard.
  const inline = inlineKeyboardOf(markup);
  if (current.text === content.text && sameJson(current.entities ?? [], content.entities) && sameJson(current.reply_markup, inline)) {
    throw badRequest(NOT_MODIFIED);
  }
  const next = withField(withField(withField(current, 'text', content.text), 'entities', content.entities), 'reply_markup', inline);
  return context.state.applyEdit(stored, record, next, {
    method: 'editMessageText',
    text: content.text,
    caption: undefined,
    rawText: content.raw,
    parseMode: content.parseMode,
    entities: content.entities,
    replyMarkup: markup,
  });
};

const editMessageCaption: MethodHandler = (params, context) => {
  const { chat, messageId } = editTarget(params, context);
  const content = readFormatted(params, 'caption', 'caption_entities');
  if (content.text.length > CAPTION_LENGTH_MAX) throw badRequest('message caption is too long');
  const markup = readReplyMarkup(params, true);
  const { stored, record } = context.state.editableMessage(chat, messageId);
  if (record.kind !== 'photo') throw badRequest('there is no caption in the message to edit');
  const current = stored.message;
  const inline = inlineKeyboardOf(markup);
  if ((current.caption ?? '') === content.text && sameJson(current.caption_entities ?? [], content.entities) && sameJson(current.reply_markup, inline)) {
    throw badRequest(NOT_MODIFIED);
  }
  const next = withField(
    withField(withField(current, 'caption', content.text === '' ? undefined : content.text), 'caption_entities', content.entities),
    'reply_markup',
    inline,
  );
  return context.state.applyEdit(stored, record, next, {
    method: 'editMessageCaption',
    text: undefined,
    caption: content.text === '' ? undefined : content.text,
    rawText: content.raw === '' ? undefined : content.raw,
    parseMode: content.parseMode,
    entities: content.entities,
    replyMarkup: markup,
  });
};

const editMessageReplyMarkup: MethodHandler = (params, context) => {
  const { chat, messageId } = editTarget(params, context);
  const markup = readReplyMarkup(params, true);
  const { stored, record } = context.state.editableMessage(chat, messageId);
  const inline = inlineKeyboardOf(markup);
  if (sameJson(stored.message.reply_markup, inline)) throw badRequest(NOT_MODIFIED);
  const latest = record.history.at(-1) as SentMessageVersion;
  return context.state.applyEdit(stored, record, withField(stored.message, 'reply_markup', inline), {
    method: 'editMessageReplyMarkup',
    text: latest.text,
    caption: latest.caption,
    rawText: latest.rawText,
    parseMode: latest.parseMode,
    entities: latest.entities,
    replyMarkup: markup,
  });
};

const deleteMessage: MethodHandler = (params, context) => {
  const chat = context.state.chatForBot(readChatId(params));
  context.state.deleteMessage(chat, readMessageId(params));
  return true;
};

const answerCallbackQuery: MethodHandler = (params, context) => {
  const callbackQueryId = readString(params, 'callback_query_id');
  if (callbackQueryId === undefined || callbackQueryId === '') throw badRequest('parameter "callback_query_id" is required');
  const text = readString(params, 'text');
  if (text !== undefined && text.length > CALLBACK_ANSWER_TEXT_MAX) throw badRequest('MESSAGE_TOO_LONG');
  const showAlert = readBoolean(params, 'show_alert');
  const url = readString(params, 'url');
  if (url !== undefined && url !== '' && !isWebUrl(url) && !url.startsWith('t.me/')) throw badRequest('URL_INVALID');
  readInteger(params, 'cache_time');
  context.state.answerCallback({
    callbackQueryId,
    text: text === '' ? undefined : text,
    showAlert,
    url: url === '' ? undefined : url,
    at: Date.now(),
  });
  return true;
};

const sendChatAction: MethodHandler = (params, context) => {
  const chatId = readChatId(params);
  const action = readString(params, 'action');
  if (action === undefined || !CHAT_ACTIONS.has(action)) throw badRequest('wrong parameter action in request');
  context.state.chatForBot(chatId);
  return true;
};

// ---------------------------------------------------------------------------------------------
// Photos
// ---------------------------------------------------------------------------------------------

/** The stored file a photo parameter names: a fresh upload, an earlier file_id, or a URL. */
function resolvePhoto(photo: UploadedFile | string, state: BotApiState): { file: StoredFile; sent: SentPhoto } {
  if (isUploadedFile(photo)) {
    if (photo.data.length > PHOTO_BYTES_MAX) throw badRequest('file is too big');
    const dimensions = imageDimensions(photo.data);
    if (dimensions === undefined) throw badRequest('IMAGE_PROCESS_FAILED');
    const { width, height } = dimensions;
    if (width + height > PHOTO_DIMENSIONS_SUM_MAX || Math.max(width, height) / Math.min(width, height) > PHOTO_SIDE_RATIO_MAX) {
      throw badRequest('PHOTO_INVALID_DIMENSIONS');
    }
    const file = state.storeFile({ sizeBytes: photo.data.length, width, height }, photo.data);
    return {
      file,
      sent: { source: 'upload', fileId: file.fileId, sizeBytes: photo.data.length, filename: photo.filename, url: undefined, width, height },
    };
  }
  const known = state.file(photo);
  if (known !== undefined) {
    return {
      file: known,
      sent: { source: 'file_id', fileId: known.fileId, sizeBytes: known.sizeBytes, filename: undefined, url: undefined, width: known.width, height: known.height },
    };
  }
  if (!isWebUrl(photo)) throw badRequest('wrong file identifier/HTTP URL specified');
  const file = state.storeFile({ sizeBytes: undefined, ...URL_PHOTO_PLACEHOLDER });
  return {
    file,
    sent: { source: 'url', fileId: file.fileId, sizeBytes: undefined, filename: undefined, url: photo, ...URL_PHOTO_PLACEHOLDER },
  };
}

const sendPhoto: MethodHandler = (params, context) => {
  const chatId = readChatId(params);
  const photo = readInputFile(params, 'photo');
  if (photo === undefined) throw badRequest('there is no photo in the request');
  const caption = readFormatted(params, 'caption', 'caption_entities');
  if (caption.text.length > CAPTION_LENGTH_MAX) throw badRequest('message caption is too long');
  const markup = readReplyMarkup(params, false);
  readSendFlags(params);
  const chat = context.state.chatForBot(chatId);
  const replyTo = readReplyTo(params, chat, context.state);
  const { file, sent } = resolvePhoto(photo, context.state);
  passFloodControl(context, chatId);
  const size: PhotoSize = {
    file_id: file.fileId,
    file_unique_id: file.fileUniqueId,
    width: file.width,
    height: file.height,
    ...(file.sizeBytes === undefined ? {} : { file_size: file.sizeBytes }),
  };
  const inline = inlineKeyboardOf(markup);
  return context.state.botMessage(
    chat,
    {
      photo: [size],
      ...(caption.text === '' ? {} : { caption: caption.text }),
      ...(caption.entities.length > 0 ? { caption_entities: caption.entities } : {}),
      ...(inline === undefined ? {} : { reply_markup: inline }),
      ...(replyTo === undefined ? {} : { reply_to_message: replyTo as Message['reply_to_message'] }),
    },
    {
      method: 'sendPhoto',
      text: undefined,
      caption: caption.text === '' ? undefined : caption.text,
      rawText: caption.raw === '' ? undefined : caption.raw,
      parseMode: caption.parseMode,
      entities: caption.entities,
      replyMarkup: markup,
    },
    sent,
  );
};

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** The key of one command list: its scope and language, as Telegram keeps them apart. */
function commandSetKey(params: CallParams): string {
  const scope = readJson(params, 'scope', 'bot command scope') ?? { type: 'default' };
  const fields = scope as Record<string, unknown> | null;
  if (typeof fields !== 'object' || fields === null || typeof fields['type'] !== 'string' || !COMMAND_SCOPE_TYPES.has(fields['type'])) {
    throw badRequest("can't parse BotCommandScope JSON object");
  }
  const needsChat = fields['type'] === 'chat' || fields['type'] === 'chat_administrators' || fields['type'] === 'chat_member';
  if (needsChat && fields['chat_id'] === undefined) throw badRequest('chat_id is empty');
  if (fields['type'] === 'chat_member' && fields['user_id'] === undefined) throw badRequest('user not found');
  const languageCode = readString(params, 'language_code') ?? '';
  if (languageCode !== '' && !/^[a-z]{2}$/.test(languageCode)) throw badRequest('invalid language code specified');
  return [fields['type'], String(fields['chat_id'] ?? ''), String(fields['user_id'] ?? ''), languageCode].join('|');
}

const setMyCommands: MethodHandler = (params, context) => {
  const value = readJson(params, 'commands', 'commands');
  if (value === undefined) throw badRequest('parameter "commands" is required');
  if (!Array.isArray(value)) throw badRequest("can't parse commands JSON object");
  if (value.length > COMMANDS_MAX) throw badRequest('BOT_COMMANDS_TOO_MUCH');
  const commands: BotCommand[] = value.map((entry: unknown) => {
    const fields = entry as Record<string, unknown> | null;
    if (typeof fields !== 'object' || fields === null) throw badRequest("can't parse BotCommand JSON object");
    const command = fields['command'];
    const description = fields['description'];
    if (typeof command !== 'string' || !COMMAND_PATTERN.test(command)) throw badRequest('BOT_COMMAND_INVALID');
    if (typeof description !== 'string' || description.trim() === '' || description.length > COMMAND_DESCRIPTION_LENGTH_MAX) {
      throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
    }
    return { command, description };
  });
  context.state.setCommands(commandSetKey(params), commands);
  return true;
};

const getMyCommands: MethodHandler = (params, context) => context.state.commands(commandSetKey(params));

const deleteMyCommands: MethodHandler = (params, context) => {
  context.state.setCommands(commandSetKey(params), []);
  return true;
};

// ---------------------------------------------------------------------------------------------
// Bot and webhook
// ---------------------------------------------------------------------------------------------

const getMe: MethodHandler = (_params, context) => structuredClone(context.state.botUser);

/** `allowed_updates`: a JSON array of update type names; undefined keeps the previous choice. */
export function readAllowedUpdates(params: CallParams): string[] | undefined {
  const value = readJson(params, 'allowed_updates', 'allowed updates');
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) throw badRequest("can't parse allowed updates JSON array");
  return value as string[];
}

const setWebhook: MethodHandler = (params, context) => {
  const url = readString(params, 'url') ?? '';
  const secretToken = readString(params, 'secret_token');
  if (secretToken !== undefined && secretToken !== '' && !SECRET_TOKEN_PATTERN.test(secretToken)) {
    throw badRequest('secret token contains unallowed characters');
  }
  const maxConnections = Math.min(
    Math.max(readInteger(params, 'max_connections') ?? WEBHOOK_MAX_CONNECTIONS_DEFAULT, 1),
    WEBHOOK_MAX_CONNECTIONS_MAX,
  );
  if (url !== '' && !isWebUrl(url)) throw badRequest('bad webhook: an HTTP or HTTPS URL must be provided for webhook');
  const allowedUpdates = readAllowedUpdates(params);
  const dropPending = readBoolean(params, 'drop_pending_updates');

  const { state } = context;
  if (allowedUpdates !== undefined) state.allowedUpdates = allowedUpdates;
  if (dropPending === true) state.dropPendingUpdates();
  if (url === '') {
    if (state.webhook !== undefined) {
      state.webhook = undefined;
      context.webhookChanged();
    }
    return true;
  }
  const secret = secretToken === '' ? undefined : secretToken;
  const current = state.webhook;
  // Setting the same webhook again (bots do it at every start) keeps the running delivery.
  if (current?.url === url && current.secretToken === secret && current.maxConnections === maxConnections) return true;
  state.webhook = { url, secretToken: secret, maxConnections, lastErrorDate: undefined, lastErrorMessage: undefined };
  context.webhookChanged();
  return true;
};

const deleteWebhook: MethodHandler = (params, context) => {
  const dropPending = readBoolean(params, 'drop_pending_updates');
  if (dropPending === true) context.state.dropPendingUpdates();
  if (context.state.webhook !== undefined) {
    context.state.webhook = undefined;
    context.webhookChanged();
  }
  return true;
};

const getWebhookInfo: MethodHandler = (_params, context) => {
  const { webhook, allowedUpdates } = context.state;
  const pending = context.state.pendingCount;
  if (webhook === undefined) return { url: '', has_custom_certificate: false, pending_update_count: pending } satisfies WebhookInfo;
  return {
    url: webhook.url,
    has_custom_certificate: false,
    pending_update_count: pending,
    max_connections: webhook.maxConnections,
    ...(allowedUpdates === undefined || allowedUpdates.length === 0 ? {} : { allowed_updates: [...allowedUpdates] }),
    ...(webhook.lastErrorDate === undefined ? {} : { last_error_date: webhook.lastErrorDate }),
    ...(webhook.lastErrorMessage === undefined ? {} : { last_error_message: webhook.lastErrorMessage }),
  } as WebhookInfo;
};

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/** Synchronous methods by canonical name. */
export const METHOD_HANDLERS: Readonly<Record<string, MethodHandler>> = {
  getMe,
  setWebhook,
  deleteWebhook,
  getWebhookInfo,
  sendMessage,
  editMessageText,
  editMessageCaption,
  editMessageReplyMarkup,
  deleteMessage,
  answerCallbackQuery,
  sendPhoto,
  sendChatAction,
  setMyCommands,
  getMyCommands,
  deleteMyCommands,
};

/** The long-polling method, which the server implements itself. */
export const GET_UPDATES = 'getUpdates';

const CANONICAL_NAMES = new Map<string, string>(
  [...Object.keys(METHOD_HANDLERS), GET_UPDATES].map((name) => [name.toLowerCase(), name] as const),
);

/** The canonical spelling of a method (Telegram matches method names case-insensitively). */
export function canonicalMethodName(name: string): string | undefined {
  return CANONICAL_NAMES.get(name.toLowerCase());
}
