import { randomBytes } from 'node:crypto';
import type { BotCommand, Chat, Message, MessageEntity, Update, User, UserFromGetMe } from 'grammy/types';
import { TestingError, TestingErrorCodes } from '../errors';
import { badRequest, BotApiFailure } from './bot-api.params';
import type { CallbackAnswer, EmulatedUser, PressButtonOptions, ReplyMarkup, SentMessage, SentMessageVersion, SentPhoto } from './bot-api.types';

// ---------------------------------------------------------------------------------------------
// Everything the emulated Telegram remembers: chats and their messages, the update queue, what
// the bot sent, uploaded files, commands, callback queries and the webhook. Every collection has
// a named maximum; a test that reaches one is doing something no test should.
// ---------------------------------------------------------------------------------------------

export const CHATS_MAX = 10_000;
/** Messages remembered per chat; older ones are forgotten (editing them then fails as "not found"). */
export const MESSAGES_PER_CHAT_MAX = 5_000;
/** Updates waiting to be fetched or delivered. */
export const UPDATES_PENDING_MAX = 10_000;
/** Sent messages kept for `sentMessages()`; the oldest are dropped beyond this. */
export const SENT_MESSAGES_MAX = 50_000;
/** Versions kept per sent message (the first and the latest edits). */
export const VERSIONS_PER_MESSAGE_MAX = 1_000;
/** Callback queries that may still be answered. */
export const CALLBACKS_PENDING_MAX = 10_000;
export const CALLBACK_ANSWERS_MAX = 10_000;
export const FILES_MAX = 10_000;
/** Bytes of uploaded photos kept for `fileBytes` (the web chat shows them); the oldest go first. */
export const FILE_BYTES_KEPT_MAX = 32 * 1024 * 1024;
export const COMMAND_SETS_MAX = 1_000;

/** A sent message as the emulator tracks it; `sentMessages()` hands out frozen copies. */
export interface SentRecord {
  readonly chatId: number;
  readonly messageId: number;
  readonly kind: 'text' | 'photo';
  readonly photo: SentPhoto | undefined;
  readonly sentAt: number;
  deleted: boolean;
  readonly history: SentMessageVersion[];
}

export interface StoredMessage {
  message: Message;
  readonly sent: SentRecord | undefined;
}

export interface ChatState {
  readonly chat: Chat;
  readonly instance: string;
  nextMessageId: number;
  readonly messages: Map<number, StoredMessage>;
  blocked: boolean;
}

/** A file the bot uploaded, addressable by its file_id afterwards. */
export interface StoredFile {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly sizeBytes: number | undefined;
  readonly width: number;
  readonly height: number;
}

/** The webhook as set by setWebhook. */
export interface WebhookState {
  readonly url: string;
  readonly secretToken: string | undefined;
  readonly maxConnections: number;
  lastErrorDate: number | undefined;
  lastErrorMessage: string | undefined;
}

/** The update types delivered when the bot never chose: all but these three. */
const NOT_DELIVERED_BY_DEFAULT = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const COMMAND_PATTERN = /(^|\s)(\/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,64})?)(?=$|[^a-zA-Z0-9_@])/g;

export class BotApiState {
  readonly botUser: UserFromGetMe;
  private readonly chats = new Map<number, ChatState>();
  private readonly updates: Update[] = [];
  private nextUpdateId = 10_000_001;
  private readonly sent: SentRecord[] = [];
  private readonly files = new Map<string, StoredFile>();
  private readonly fileData = new Map<string, Buffer>();
  private fileDataBytes = 0;
  private readonly pendingCallbacks = new Set<string>();
  private nextCallbackNumber = 1;
  private readonly answers: CallbackAnswer[] = [];
  private readonly commandSets = new Map<string, BotCommand[]>();
  allowedUpdates: readonly string[] | undefined;
  webhook: WebhookState | undefined;
  /** Called after every new update, so long polls and the webhook loop wake up. */
  onUpdate: () => void = () => undefined;
  /** Called after every send, edit or delete by the bot, so `waitForMessage` can look again. */
  onSent: (record: SentMessage) => void = () => undefined;

  constructor(botId: number) {
    this.botUser = {
      id: botId,
      is_bot: true,
      first_name: 'Strongbox Test Bot',
      username: `strongbox_test_${botId}_bot`,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
  }

  /** The bot as it appears in `from` of its messages (no getMe-only fields). */
  get botAsSender(): User {
    return { id: this.botUser.id, is_bot: true, first_name: this.botUser.first_name, username: this.botUser.username };
  }

  // -------------------------------------------------------------------------------------------
  // User side
  // -------------------------------------------------------------------------------------------

  openChat(from: EmulatedUser): ChatState {
    validateUser(from);
    const chatId = from.chatId ?? from.userId;
    const existing = this.chats.get(chatId);
    if (existing !== undefined) return existing;
    if (this.chats.size >= CHATS_MAX) throw new TestingError(TestingErrorCodes.emulatorMisuse, `more than ${CHATS_MAX} chats`);
    const chat: Chat =
      chatId > 0
        ? {
            id: chatId,
            type: 'private',
            first_name: from.firstName ?? `User ${from.userId}`,
            ...(from.lastName === undefined ? {} : { last_name: from.lastName }),
            ...(from.username === undefined ? {} : { username: from.username }),
          }
        : String(chatId).startsWith('-100')
          ? { id: chatId, type: 'supergroup', title: `Test group ${chatId}` }
          : { id: chatId, type: 'group', title: `Test group ${chatId}` };
    const state: ChatState = {
      chat,
      instance: randomBytes(8).readBigUInt64BE().toString(),
      nextMessageId: 1,
      messages: new Map(),
      blocked: false,
    };
    this.chats.set(chatId, state);
    return state;
  }

  setBlocked(chatId: number, blocked: boolean): void {
    const chat = this.chats.get(chatId);
    if (chat === undefined) throw new TestingError(TestingErrorCodes.emulatorMisuse, `chat ${chatId} is unknown; open it first`);
    chat.blocked = blocked;
  }

  userMessage(from: EmulatedUser, text: string): Update {
    if (text.length === 0 || text.length > 4096) {
      throw new TestingError(TestingErrorCodes.emulatorMisuse, 'a user message has 1..4096 characters');
    }
    const chat = this.openChat(from);
    // Writing to the bot again undoes a block, as restarting the bot does in a real client.
    chat.blocked = false;
    const entities: MessageEntity[] = [];
    for (const match of text.matchAll(COMMAND_PATTERN)) {
      const command = match[2] as string;
      entities.push({ type: 'bot_command', offset: match.index + (match[1] as string).length, length: command.length });
    }
    const message: Message = {
      message_id: this.allocateMessageId(chat),
      date: unixNow(),
      chat: chat.chat,
      from: toUser(from),
      text,
      ...(entities.length > 0 ? { entities } : {}),
    };
    this.store(chat, { message, sent: undefined });
    return this.enqueue({ update_id: 0, message: message as Update['message'] });
  }

  buttonPress(from: EmulatedUser, target: SentMessage, callbackData: string, options: PressButtonOptions): Update {
    const chat = this.chats.get(target.chatId);
    const stored = chat?.messages.get(target.messageId);
    if (chat === undefined || stored?.sent === undefined || stored.sent.deleted) {
      throw new TestingError(TestingErrorCodes.emulatorMisuse, `message ${target.messageId} in chat ${target.chatId} is not there to press`);
    }
    validateUser(from);
    if (chat.chat.type === 'private' && chat.chat.id !== from.userId) {
      throw new TestingError(
        TestingErrorCodes.emulatorMisuse,
        `user ${from.userId} cannot see message ${target.messageId} in the private chat of user ${chat.chat.id}`,
      );
    }
    if (options.forged !== true && !hasCallbackButton(stored.message.reply_markup, callbackData)) {
      throw new TestingError(
        TestingErrorCodes.emulatorMisuse,
        `message ${target.messageId} has no button with callback_data "${callbackData}" (pass { forged: true } to send it anyway)`,
      );
    }
    if (this.pendingCallbacks.size >= CALLBACKS_PENDING_MAX) {
      const oldest = this.pendingCallbacks.values().next();
      if (oldest.done !== true) this.pendingCallbacks.delete(oldest.value);
    }
    const id = `${this.botUser.id}${String(this.nextCallbackNumber++).padStart(9, '0')}`;
    this.pendingCallbacks.add(id);
    return this.enqueue({
      update_id: 0,
      callback_query: { id, from: toUser(from), message: stored.message, chat_instance: chat.instance, data: callbackData },
    });
  }

  /**
   * Gives the update the next id and queues it, unless the bot's allowed_updates exclude its type.
   * Like Telegram, the filter applies when an update is created: changing allowed_updates later
   * does not remove updates already queued.
   */
  private enqueue(update: Update): Update {
    if (this.updates.length >= UPDATES_PENDING_MAX) {
      throw new TestingError(TestingErrorCodes.emulatorMisuse, `more than ${UPDATES_PENDING_MAX} updates pending; is the bot fetching them?`);
    }
    const queued: Update = { ...update, update_id: this.nextUpdateId++ };
    if (this.isWanted(updateType(queued))) {
      this.updates.push(queued);
      this.onUpdate();
    }
    return structuredClone(queued);
  }

  // -------------------------------------------------------------------------------------------
  // Update queue
  // -------------------------------------------------------------------------------------------

  get pendingCount(): number {
    return this.updates.length;
  }

  /**
   * getUpdates semantics: an offset confirms every earlier update; a negative offset keeps only
   * the last -offset updates. Nothing is removed otherwise: an update is handed out again until
   * an offset confirms it.
   */
  takeUpdates(offset: number | undefined, limit: number): Update[] {
    if (offset !== undefined && offset < 0) {
      this.updates.splice(0, Math.max(this.updates.length + offset, 0));
    } else if (offset !== undefined) {
      while (this.updates.length > 0 && (this.updates[0] as Update).update_id < offset) this.updates.shift();
    }
    return structuredClone(this.updates.slice(0, limit));
  }

  /** The next update to deliver to the webhook. */
  peekUpdate(): Update | undefined {
    const next = this.updates[0];
    return next === undefined ? undefined : structuredClone(next);
  }

  confirmUpdate(updateId: number): void {
    const index = this.updates.findIndex((update) => update.update_id === updateId);
    if (index >= 0) this.updates.splice(index, 1);
  }

  dropPendingUpdates(): void {
    this.updates.length = 0;
  }

  private isWanted(type: string): boolean {
    return this.allowedUpdates === undefined || this.allowedUpdates.length === 0
      ? !NOT_DELIVERED_BY_DEFAULT.has(type)
      : this.allowedUpdates.includes(type);
  }

  // -------------------------------------------------------------------------------------------
  // Bot side
  // -------------------------------------------------------------------------------------------

  /** The chat a bot method targets; 400 when unknown, 403 when the user blocked the bot. */
  chatForBot(chatId: number): ChatState {
    const chat = this.chats.get(chatId);
    if (chat === undefined) throw badRequest('chat not found');
    if (chat.blocked) throw new BotApiFailure(403, 'Forbidden: bot was blocked by the user');
    return chat;
  }

  /** Stores a message the bot sent and records it for `sentMessages()`. */
  botMessage(chat: ChatState, content: Omit<Message, 'message_id' | 'date' | 'chat' | 'from'>, version: Omit<SentMessageVersion, 'at'>, photo?: SentPhoto): Message {
    const at = Date.now();
    const message = {
      ...content,
      message_id: this.allocateMessageId(chat),
      date: Math.floor(at / 1000),
      chat: chat.chat,
      from: this.botAsSender,
    } as Message;
    const record: SentRecord = {
      chatId: chat.chat.id,
      messageId: message.message_id,
      kind: photo === undefined ? 'text' : 'photo',
      photo,
      sentAt: at,
      deleted: false,
      history: [{ ...version, at }],
    };
    if (this.sent.length >= SENT_MESSAGES_MAX) this.sent.shift();
    this.sent.push(record);
    this.store(chat, { message, sent: record });
    this.onSent(snapshot(record));
    return structuredClone(message);
  }

  /** Any message still remembered in the chat (the user's or the bot's), for replies. */
  findMessage(chat: ChatState, messageId: number): Message | undefined {
    const stored = chat.messages.get(messageId);
    return stored === undefined ? undefined : structuredClone(stored.message);
  }

  /** A message of the bot's that may be edited; Telegram's errors otherwise. */
  editableMessage(chat: ChatState, messageId: number): { stored: StoredMessage; record: SentRecord } {
    const stored = chat.messages.get(messageId);
    if (stored === undefined) throw badRequest('message to edit not found');
    if (stored.sent === undefined) throw badRequest("message can't be edited");
    return { stored, record: stored.sent };
  }

  /** Replaces a bot message with its edited version and records the version. */
  applyEdit(stored: StoredMessage, record: SentRecord, message: Message, version: Omit<SentMessageVersion, 'at'>): Message {
    const at = Date.now();
    stored.message = { ...message, edit_date: Math.floor(at / 1000) } as Message;
    if (record.history.length >= VERSIONS_PER_MESSAGE_MAX) record.history.splice(1, 1);
    record.history.push({ ...version, at });
    this.onSent(snapshot(record));
    return structuredClone(stored.message);
  }

  deleteMessage(chat: ChatState, messageId: number): void {
    const stored = chat.messages.get(messageId);
    if (stored === undefined) throw badRequest('message to delete not found');
    chat.messages.delete(messageId);
    if (stored.sent !== undefined) {
      stored.sent.deleted = true;
      this.onSent(snapshot(stored.sent));
    }
  }

  answerCallback(answer: CallbackAnswer): void {
    if (!this.pendingCallbacks.delete(answer.callbackQueryId)) {
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    }
    if (this.answers.length >= CALLBACK_ANSWERS_MAX) this.answers.shift();
    this.answers.push(answer);
  }

  storeFile(file: Omit<StoredFile, 'fileId' | 'fileUniqueId'>, data?: Buffer): StoredFile {
    if (this.files.size >= FILES_MAX) {
      const oldest = this.files.keys().next();
      if (oldest.done !== true) this.files.delete(oldest.value);
    }
    const stored: StoredFile = {
      ...file,
      fileId: `AgAC${randomBytes(24).toString('base64url')}`,
      fileUniqueId: `AQAD${randomBytes(8).toString('base64url')}`,
    };
    this.files.set(stored.fileId, stored);
    if (data !== undefined && data.length <= FILE_BYTES_KEPT_MAX) {
      while (this.fileDataBytes + data.length > FILE_BYTES_KEPT_MAX) {
        const oldest = this.fileData.entries().next();
        if (oldest.done === true) break;
        this.fileData.delete(oldest.value[0]);
        this.fileDataBytes -= oldest.value[1].length;
      }
      this.fileData.set(stored.fileId, data);
      this.fileDataBytes += data.length;
    }
    return stored;
  }

  fileBytes(fileId: string): Buffer | undefined {
    return this.fileData.get(fileId);
  }

  file(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  setCommands(key: string, commands: BotCommand[]): void {
    if (commands.length === 0) {
      this.commandSets.delete(key);
      return;
    }
    if (!this.commandSets.has(key) && this.commandSets.size >= COMMAND_SETS_MAX) throw badRequest('too many command scopes');
    this.commandSets.set(key, commands);
  }

  commands(key: string): BotCommand[] {
    return structuredClone(this.commandSets.get(key) ?? []);
  }

  // -------------------------------------------------------------------------------------------
  // Inspection
  // -------------------------------------------------------------------------------------------

  sentMessages(chatId: number | undefined): SentMessage[] {
    return this.sent.filter((record) => chatId === undefined || record.chatId === chatId).map(snapshot);
  }

  callbackAnswers(): CallbackAnswer[] {
    return this.answers.map((answer) => ({ ...answer }));
  }

  private allocateMessageId(chat: ChatState): number {
    const id = chat.nextMessageId;
    chat.nextMessageId += 1;
    return id;
  }

  private store(chat: ChatState, stored: StoredMessage): void {
    if (chat.messages.size >= MESSAGES_PER_CHAT_MAX) {
      const oldest = chat.messages.keys().next();
      if (oldest.done !== true) chat.messages.delete(oldest.value);
    }
    chat.messages.set(stored.message.message_id, stored);
  }
}

/** A frozen, deep copy of a sent record, in the public shape. */
function snapshot(record: SentRecord): SentMessage {
  const history = structuredClone(record.history);
  const current = history.at(-1) as SentMessageVersion;
  return Object.freeze({
    ...current,
    chatId: record.chatId,
    messageId: record.messageId,
    kind: record.kind,
    photo: record.photo === undefined ? undefined : { ...record.photo },
    sentAt: record.sentAt,
    deleted: record.deleted,
    history,
  });
}

function hasCallbackButton(markup: Message['reply_markup'], callbackData: string): boolean {
  return (markup?.inline_keyboard ?? []).some((row) => row.some((button) => 'callback_data' in button && button.callback_data === callbackData));
}

function updateType(update: Update): string {
  return Object.keys(update).find((key) => key !== 'update_id') ?? 'unknown';
}

function toUser(from: EmulatedUser): User {
  return {
    id: from.userId,
    is_bot: false,
    first_name: from.firstName ?? `User ${from.userId}`,
    ...(from.lastName === undefined ? {} : { last_name: from.lastName }),
    ...(from.username === undefined ? {} : { username: from.username }),
    ...(from.languageCode === undefined ? {} : { language_code: from.languageCode }),
  };
}

function validateUser(from: EmulatedUser): void {
  if (!Number.isSafeInteger(from.userId) || from.userId <= 0) {
    throw new TestingError(TestingErrorCodes.emulatorMisuse, `userId must be a positive integer, got ${from.userId}`);
  }
  if (from.chatId !== undefined && (!Number.isSafeInteger(from.chatId) || from.chatId === 0)) {
    throw new TestingError(TestingErrorCodes.emulatorMisuse, `chatId must be a non-zero integer, got ${from.chatId}`);
  }
  if (from.chatId !== undefined && from.chatId > 0 && from.chatId !== from.userId) {
    throw new TestingError(TestingErrorCodes.emulatorMisuse, 'a positive chatId is a private chat and must equal userId');
  }
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Re-exported for the method table: the inline keyboard of a markup, if it is one. */
export function isInlineKeyboard(markup: ReplyMarkup | undefined): boolean {
  return markup !== undefined && 'inline_keyboard' in markup;
}
