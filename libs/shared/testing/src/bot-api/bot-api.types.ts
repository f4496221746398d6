import type { ForceReply, InlineKeyboardMarkup, MessageEntity, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update } from 'grammy/types';
import type { FloodLimits } from './bot-api.flood';

/** Any reply markup a bot may attach to a message. */
export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply;

/** Options of `startBotApiEmulator`. */
export interface BotApiEmulatorOptions {
  /** The bot token the emulator accepts; defaults to a fresh, syntactically valid fake token. */
  token?: string;
  /**
   * Telegram-like flood control on sendMessage and sendPhoto, answering 429 with
   * `parameters.retry_after`: `true` for Telegram's documented limits (TELEGRAM_FLOOD_LIMITS: one
   * message per second per chat, 30 per second in total), or limits of your own. Off by default.
   */
  floodLimits?: FloodLimits | boolean;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Port to listen on; defaults to a free one. */
  port?: number;
}

/** A Telegram user as a test plays it. `chatId` defaults to `userId` (the private chat). */
export interface EmulatedUser {
  userId: number;
  /** A negative id makes a group (`-100…` a supergroup) the user writes in. */
  chatId?: number;
  firstName?: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
}

/** A photo the bot sent. */
export interface SentPhoto {
  /** `upload`: a file in the request; `file_id`: one sent before; `url`: Telegram would fetch it. */
  readonly source: 'upload' | 'file_id' | 'url';
  readonly fileId: string;
  /** Bytes of the uploaded file (unknown for a URL). */
  readonly sizeBytes: number | undefined;
  readonly filename: string | undefined;
  readonly url: string | undefined;
  readonly width: number;
  readonly height: number;
}

/** One version of a sent message: as sent first, then after each edit. */
export interface SentMessageVersion {
  readonly at: number;
  /** The method that produced this version: `sendMessage`, `editMessageText`, … */
  readonly method: string;
  /** Text as the user sees it (markup parsed, whitespace trimmed); photos: undefined. */
  readonly text: string | undefined;
  /** Caption as the user sees it; text messages: undefined. */
  readonly caption: string | undefined;
  /** Text or caption exactly as the bot sent it, markup included. */
  readonly rawText: string | undefined;
  readonly parseMode: string | undefined;
  readonly entities: readonly MessageEntity[];
  readonly replyMarkup: ReplyMarkup | undefined;
}

/** A message the bot sent, in its current version, with every earlier version in `history`. */
export interface SentMessage extends SentMessageVersion {
  readonly chatId: number;
  readonly messageId: number;
  readonly kind: 'text' | 'photo';
  readonly photo: SentPhoto | undefined;
  readonly sentAt: number;
  /** True once the bot deleted it. */
  readonly deleted: boolean;
  /** Oldest first; the last entry is the current version. */
  readonly history: readonly SentMessageVersion[];
}

/** An answerCallbackQuery call. */
export interface CallbackAnswer {
  readonly callbackQueryId: string;
  readonly text: string | undefined;
  readonly showAlert: boolean | undefined;
  readonly url: string | undefined;
  readonly at: number;
}

/** One Bot API call with a valid token, in arrival order. */
export interface RecordedCall {
  /** Canonical spelling (`sendMessage`), whatever case the client used. */
  readonly method: string;
  /** Parameters as received; uploaded files appear as `{ filename, sizeBytes }`. */
  readonly params: Record<string, unknown>;
  readonly at: number;
  /** Whether the call succeeded; undefined while it is still running (a long poll). */
  readonly ok: boolean | undefined;
  readonly errorCode: number | undefined;
}

/** Options of `pressButton`. */
export interface PressButtonOptions {
  /**
   * Send `callbackData` even though no button of the message carries it, as a forged or stale
   * client would. By default pressing a button that is not there is a test mistake and throws.
   */
  forged?: boolean;
}

/**
 * Telegram's flood control on demand (`imposeFloodWait`): of the calls that match `method` and
 * `chatId`, the first `skip` go through, the next `count` are refused, later ones go through again.
 */
export interface FloodWaitRule {
  /** `parameters.retry_after` of each refusal, in whole seconds (at least 1). */
  retryAfterS: number;
  /** Only calls of this method (case-insensitive); every method when absent. */
  method?: string;
  /** Only calls whose `chat_id` is this chat; calls to any chat (and calls without one) when absent. */
  chatId?: number;
  /** Matching calls let through before the refusals start; 0 by default. */
  skip?: number;
  /** Matching calls refused; 1 by default. */
  count?: number;
}

/**
 * A local Telegram Bot API server speaking the real HTTP wire format, plus a test API that plays
 * the users and inspects what the bot did.
 */
export interface BotApiEmulator {
  /** e.g. `http://127.0.0.1:PORT`; grammY: `new Bot(token, { client: { apiRoot } })`. */
  readonly apiRoot: string;
  readonly token: string;
  /** The bot's own user id (the number before the token's colon). */
  readonly botId: number;
  /** A user writes `text`; commands get bot_command entities. Resolves to the queued update. */
  sendMessage(from: EmulatedUser, text: string): Promise<Update>;
  /** A user presses the inline button with `callbackData` under the bot's `message`. */
  pressButton(from: EmulatedUser, message: SentMessage, callbackData: string, options?: PressButtonOptions): Promise<Update>;
  /** Makes the user's chat known without an update, as if the user had started the bot earlier. */
  openChat(from: EmulatedUser): void;
  /** The user blocks (or unblocks) the bot: sends then fail with 403 "bot was blocked by the user". */
  setBotBlocked(chatId: number, blocked: boolean): void;
  /**
   * Arms a flood-control refusal: matching calls (see FloodWaitRule) are answered 429 "Too Many
   * Requests: retry after N" with `parameters.retry_after`, have no effect, and are recorded with
   * errorCode 429, as Telegram does. Independent of `floodLimits`; rules are checked in the order
   * they were armed, a call consumes at most one, and a used-up rule is dropped.
   */
  imposeFloodWait(rule: FloodWaitRule): void;
  /** Everything the bot sent, oldest first, optionally in one chat only. */
  sentMessages(chatId?: number): SentMessage[];
  /** The first sent message (already there or still to come, edits included) that satisfies `predicate`. */
  waitForMessage(predicate: (message: SentMessage) => boolean, options: { timeoutMs: number }): Promise<SentMessage>;
  callbackAnswers(): CallbackAnswer[];
  /** The bytes of an uploaded photo (for showing it), while within FILE_BYTES_KEPT_MAX; undefined otherwise. */
  fileBytes(fileId: string): Buffer | undefined;
  /** Calls with a valid token, oldest first, optionally of one method (case-insensitive). */
  calls(method?: string): RecordedCall[];
  /** The webhook the bot set, or null while it polls. */
  webhook(): { url: string; secretToken?: string } | null;
  /** Updates neither fetched with getUpdates nor delivered to the webhook yet. */
  pendingUpdateCount(): number;
  close(): Promise<void>;
}
