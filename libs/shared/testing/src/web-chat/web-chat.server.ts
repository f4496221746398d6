import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BotApiEmulator, EmulatedUser, SentMessage } from '../bot-api/bot-api.types';
import { TestingError, TestingErrorCodes } from '../errors';
import { WEB_CHAT_PAGE } from './web-chat.page';

// A web chat on top of the Bot API emulator, so a person can use the bot in a browser: pick a user,
// write, press inline buttons, see edits, deletions and photos. It plays the users through the
// emulator's test API, exactly as tests do. Loopback only; it is a development tool.

/** Largest request body the page sends (a 4,096-character message and some JSON). */
const REQUEST_BODY_BYTES_MAX = 64 * 1024;
/** The person's own messages remembered per chat (the emulator records only the bot's). */
const USER_MESSAGES_PER_CHAT_MAX = 1_000;
/** Chats whose user messages are remembered. */
const CHATS_MAX = 1_000;
/** Messages of one chat handed to the page: the most recent. */
const MESSAGES_SHOWN_MAX = 200;

interface ChatLine {
  readonly from: 'user' | 'bot';
  readonly messageId: number;
  readonly date: number;
  readonly text: string | undefined;
  readonly edited: boolean;
  readonly deleted: boolean;
  readonly photo: { readonly src: string; readonly width: number; readonly height: number } | undefined;
  readonly keyboard: { readonly text: string; readonly callbackData?: string; readonly url?: string }[][];
}

export interface WebChat {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

export interface WebChatOptions {
  readonly emulator: BotApiEmulator;
  /** Default: a free port. */
  readonly port?: number;
  readonly host?: string;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > REQUEST_BODY_BYTES_MAX) throw new RequestError(413, 'request too large');
    chunks.push(chunk as Buffer);
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new RequestError(400, 'body must be a JSON object');
  }
}

function userOf(body: Record<string, unknown>): EmulatedUser {
  const userId = body['userId'];
  if (typeof userId !== 'number' || !Number.isSafeInteger(userId) || userId < 1) throw new RequestError(400, 'userId must be a positive integer');
  const firstName = typeof body['firstName'] === 'string' && body['firstName'].length > 0 ? body['firstName'].slice(0, 64) : 'Dev';
  const languageCode = body['languageCode'] === 'ru' ? 'ru' : 'en';
  return { userId, firstName, languageCode };
}

function keyboardOf(message: SentMessage): ChatLine['keyboard'] {
  const markup = message.replyMarkup as { inline_keyboard?: { text: string; callback_data?: string; url?: string }[][] } | undefined;
  return (markup?.inline_keyboard ?? []).map((row) =>
    row.map((button) => ({
      text: button.text,
      ...(button.callback_data === undefined ? {} : { callbackData: button.callback_data }),
      ...(button.url === undefined ? {} : { url: button.url }),
    })),
  );
}

/**
 * Serves the web chat for `emulator`.
 *
 * @example
 * const emulator = await startBotApiEmulator();
 * const chat = await startWebChat({ emulator, port: 8090 });
 * console.log(`open ${chat.url}`);
 */
export async function startWebChat(options: WebChatOptions): Promise<WebChat> {
  const { emulator } = options;
  const userLines = new Map<number, ChatLine[]>();

  function remember(chatId: number, line: ChatLine): void {
    let lines = userLines.get(chatId);
    if (!lines) {
      if (userLines.size >= CHATS_MAX) {
        const oldest = userLines.keys().next();
        if (!oldest.done) userLines.delete(oldest.value);
      }
      lines = [];
      userLines.set(chatId, lines);
    }
    if (lines.length >= USER_MESSAGES_PER_CHAT_MAX) lines.shift();
    lines.push(line);
  }

  function chat(chatId: number): { messages: ChatLine[]; answers: { callbackQueryId: string; text: string | undefined }[] } {
    const botLines: ChatLine[] = emulator.sentMessages(chatId).map((message) => ({
      from: 'bot',
      messageId: message.messageId,
      date: Math.floor(message.sentAt / 1_000),
      text: message.kind === 'photo' ? message.caption : message.text,
      edited: message.history.length > 1,
      deleted: message.deleted,
      photo: message.photo ? { src: `/api/files/${encodeURIComponent(message.photo.fileId)}`, width: message.photo.width, height: message.photo.height } : undefined,
      keyboard: message.deleted ? [] : keyboardOf(message),
    }));
    const messages = [...(userLines.get(chatId) ?? []), ...botLines].sort((a, b) => a.messageId - b.messageId).slice(-MESSAGES_SHOWN_MAX);
    const answers = emulator.callbackAnswers().slice(-50).map((answer) => ({ callbackQueryId: answer.callbackQueryId, text: answer.text }));
    return { messages, answers };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    if (request.method === 'GET' && url.pathname === '/') {
      response
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          // The page's own inline script and style only; images from this server.
          'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'",
        })
        .end(WEB_CHAT_PAGE);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/api/chat') {
      const userId = Number(url.searchParams.get('userId'));
      if (!Number.isSafeInteger(userId) || userId < 1) throw new RequestError(400, 'userId must be a positive integer');
      json(200, chat(userId));
      return;
    }
    if (request.method === 'GET' && url.pathname.startsWith('/api/files/')) {
      const bytes = emulator.fileBytes(decodeURIComponent(url.pathname.slice('/api/files/'.length)));
      if (!bytes) throw new RequestError(404, 'file not kept');
      const type = bytes[0] === 0x89 ? 'image/png' : bytes[0] === 0xff ? 'image/jpeg' : 'image/gif';
      response.writeHead(200, { 'content-type': type, 'cache-control': 'max-age=3600' }).end(bytes);
      return;
    }
    if (request.method === 'POST' && url.pathname === '/api/send') {
      const body = await readJson(request);
      const user = userOf(body);
      const text = body['text'];
      if (typeof text !== 'string' || text.trim().length === 0 || text.length > 4_096) throw new RequestError(400, 'text must be 1 to 4096 characters');
      const update = await emulator.sendMessage(user, text);
      const message = update.message;
      if (message) remember(user.userId, { from: 'user', messageId: message.message_id, date: message.date, text, edited: false, deleted: false, photo: undefined, keyboard: [] });
      json(200, { updateId: update.update_id });
      return;
    }
    if (request.method === 'POST' && url.pathname === '/api/press') {
      const body = await readJson(request);
      const user = userOf(body);
      const messageId = body['messageId'];
      const callbackData = body['callbackData'];
      if (typeof messageId !== 'number' || typeof callbackData !== 'string') throw new RequestError(400, 'messageId and callbackData are required');
      const message = emulator.sentMessages(user.userId).find((candidate) => candidate.messageId === messageId);
      if (!message) throw new RequestError(404, 'no such message in this chat');
      const update = await emulator.pressButton(user, message, callbackData);
      json(200, { updateId: update.update_id, callbackQueryId: update.callback_query?.id });
      return;
    }
    throw new RequestError(404, 'not found');
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof RequestError ? error.status : 400;
      if (!response.headersSent) {
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: (error as Error).message }));
      }
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new TestingError(TestingErrorCodes.serverStart, `web chat could not listen: ${error.message}`, { cause: error })));
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
