import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Update } from 'grammy/types';
import { TestingError, TestingErrorCodes } from '../errors';
import { isUploadedFile, parseBody, readBody, type CallParams } from './bot-api.body';
import { FloodLimiter, TELEGRAM_FLOOD_LIMITS } from './bot-api.flood';
import { GET_UPDATES, METHOD_HANDLERS, canonicalMethodName, readAllowedUpdates, unixNow, type MethodContext, type MethodHandler } from './bot-api.methods';
import { BotApiFailure, readInteger } from './bot-api.params';
import { BotApiState, type WebhookState } from './bot-api.state';
import type {
  BotApiEmulator,
  BotApiEmulatorOptions,
  CallbackAnswer,
  EmulatedUser,
  FloodWaitRule,
  PressButtonOptions,
  RecordedCall,
  SentMessage,
} from './bot-api.types';

// ---------------------------------------------------------------------------------------------
// The emulator's HTTP server: `/bot<token>/<method>` over JSON, form and multipart bodies, long
// polling, webhook delivery, and the test API that plays the users.
// ---------------------------------------------------------------------------------------------

/** What `BOT_TOKEN` must look like in the services' config; the emulator's tokens match it. */
export const BOT_TOKEN_PATTERN = /^[0-9]{3,20}:[A-Za-z0-9_-]{30,64}$/;
/** Largest request body; bigger uploads are answered with 413 like Telegram's front end does. */
export const BODY_BYTES_MAX = 20 * 1024 * 1024;
/** Recorded calls kept for `calls()`; the oldest are dropped beyond this. */
export const CALLS_MAX = 50_000;
/** `waitForMessage` calls waiting at once. */
export const MESSAGE_WAITERS_MAX = 1_000;
/** Longest long poll; a larger getUpdates `timeout` is clamped to it. */
export const LONG_POLL_TIMEOUT_S_MAX = 50;
/** Most updates one getUpdates returns (Telegram's own limit); larger `limit`s are clamped. */
export const GET_UPDATES_LIMIT_MAX = 100;
/** How long one webhook POST may take before it counts as failed. */
export const WEBHOOK_REQUEST_TIMEOUT_MS = 10_000;
/** Delay after a failed webhook delivery: doubles from the minimum up to the maximum. */
export const WEBHOOK_RETRY_DELAY_MS_MIN = 50;
export const WEBHOOK_RETRY_DELAY_MS_MAX = 2_000;
/** Failed deliveries of one update before it is dropped (about half an hour at the maximum delay). */
export const WEBHOOK_ATTEMPTS_MAX = 1_000;
/** Flood-wait rules armed at once (`imposeFloodWait`). */
export const FLOOD_WAIT_RULES_MAX = 1_000;
/** Largest webhook answer read for a webhook reply (a method call in the response body). */
const WEBHOOK_REPLY_BYTES_MAX = 1024 * 1024;
/** Sent messages listed in a `waitForMessage` timeout error, newest last. */
const TIMEOUT_LISTING_MAX = 20;
const TIMEOUT_LISTING_TEXT_CHARS_MAX = 120;

const ROUTE = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/;
const WEBHOOK_ACTIVE_CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
const OTHER_POLL_CONFLICT = 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';

/** A Bot API answer body. */
type Answer = { ok: true; result: unknown } | { ok: false; error_code: number; description: string; parameters?: { retry_after: number } };

/** How a held getUpdates ended. */
type PollOutcome = 'update' | 'timeout' | 'client-gone' | 'closed' | { conflict: string };

/** An armed `imposeFloodWait` rule, counting down. */
interface ArmedFloodWait {
  readonly retryAfterS: number;
  /** Lower-cased method name, or undefined for every method. */
  readonly method: string | undefined;
  readonly chatId: number | undefined;
  skip: number;
  count: number;
}

interface PendingPoll {
  finish(outcome: PollOutcome): void;
}

interface MessageWaiter {
  offer(message: SentMessage): void;
  fail(error: Error): void;
}

/** A recorded call while it may still change (a long poll finishes later). */
interface CallRecord {
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly at: number;
  ok: boolean | undefined;
  errorCode: number | undefined;
}

/**
 * Starts a local Telegram Bot API on 127.0.0.1 and a free port (or `options.port`). Point grammY
 * at it with `new Bot(emulator.token, { client: { apiRoot: emulator.apiRoot } })`; then play the
 * users with `sendMessage` / `pressButton` and look at what the bot did with `waitForMessage`,
 * `sentMessages`, `calls` and `callbackAnswers`.
 *
 * @example
 * const emulator = await startBotApiEmulator();
 * afterAll(() => emulator.close());
 * await emulator.sendMessage({ userId: 42, firstName: 'Ann', languageCode: 'en' }, '/start');
 * const reply = await emulator.waitForMessage((m) => m.chatId === 42, { timeoutMs: 5_000 });
 */
export async function startBotApiEmulator(options: BotApiEmulatorOptions = {}): Promise<BotApiEmulator> {
  const token = options.token ?? generateToken();
  if (!BOT_TOKEN_PATTERN.test(token)) {
    throw new TestingError(TestingErrorCodes.invalidOption, `the emulator's token must match ${BOT_TOKEN_PATTERN.source}`);
  }
  const botId = Number(token.slice(0, token.indexOf(':')));
  if (!Number.isSafeInteger(botId) || botId <= 0) {
    throw new TestingError(TestingErrorCodes.invalidOption, 'the bot id before the colon of the token must be a positive safe integer');
  }
  const emulator = new BotApiEmulatorServer(token, botId, floodLimiterFor(options));
  await emulator.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return emulator;
}

function floodLimiterFor(options: BotApiEmulatorOptions): FloodLimiter | undefined {
  const setting = options.floodLimits ?? false;
  if (setting === false) return undefined;
  return new FloodLimiter(setting === true ? TELEGRAM_FLOOD_LIMITS : setting);
}

/** A fresh token of Telegram's shape: `<bot id>:AA<33 characters>`. */
function generateToken(): string {
  const botId = randomInt(1_000_000_000, 8_000_000_000);
  return `${botId}:AA${randomBytes(25).toString('base64url').slice(0, 33)}`;
}

class BotApiEmulatorServer implements BotApiEmulator {
  readonly botId: number;
  private apiRootValue = '';
  private readonly state: BotApiState;
  private readonly server: Server;
  private readonly recorded: CallRecord[] = [];
  private readonly waiters = new Set<MessageWaiter>();
  private readonly context: MethodContext;
  private poll: PendingPoll | undefined;
  private webhookAbort: AbortController | undefined;
  private readonly webhookLoops = new Set<Promise<void>>();
  private readonly webhookWakers = new Set<() => void>();
  private readonly floodWaits: ArmedFloodWait[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    readonly token: string,
    botId: number,
    flood: FloodLimiter | undefined,
  ) {
    this.botId = botId;
    this.state = new BotApiState(botId);
    this.state.onUpdate = () => {
      this.poll?.finish('update');
      for (const wake of [...this.webhookWakers]) wake();
    };
    this.state.onSent = (message) => {
      for (const waiter of [...this.waiters]) waiter.offer(message);
    };
    this.context = { state: this.state, flood, webhookChanged: () => this.webhookChanged() };
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        send(response, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${describe(error)}` });
      });
    });
  }

  get apiRoot(): string {
    return this.apiRootValue;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void =>
        reject(new TestingError(TestingErrorCodes.serverStart, `the Bot API emulator could not listen on ${host}:${port}: ${error.message}`, { cause: error }));
      this.server.once('error', fail);
      this.server.listen({ host, port }, () => {
        this.server.off('error', fail);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') {
      this.server.close();
      throw new TestingError(TestingErrorCodes.serverStart, 'could not read the port of the Bot API emulator');
    }
    // A wildcard address is reachable on loopback; clients need a concrete host in the URL.
    const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.apiRootValue = `http://${publicHost}:${address.port}`;
  }

  // -------------------------------------------------------------------------------------------
  // Test API: the users' side
  // -------------------------------------------------------------------------------------------

  async sendMessage(from: EmulatedUser, text: string): Promise<Update> {
    this.assertOpen();
    return this.state.userMessage(from, text);
  }

  async pressButton(from: EmulatedUser, message: SentMessage, callbackData: string, options: PressButtonOptions = {}): Promise<Update> {
    this.assertOpen();
    return this.state.buttonPress(from, message, callbackData, options);
  }

  openChat(from: EmulatedUser): void {
    this.assertOpen();
    this.state.openChat(from);
  }

  setBotBlocked(chatId: number, blocked: boolean): void {
    this.assertOpen();
    this.state.setBlocked(chatId, blocked);
  }

  imposeFloodWait(rule: FloodWaitRule): void {
    this.assertOpen();
    const { retryAfterS, skip = 0, count = 1 } = rule;
    if (!Number.isSafeInteger(retryAfterS) || retryAfterS < 1) {
      throw new TestingError(TestingErrorCodes.invalidOption, 'imposeFloodWait needs retryAfterS as a whole number of seconds, at least 1');
    }
    if (!Number.isSafeInteger(skip) || skip < 0 || !Number.isSafeInteger(count) || count < 1) {
      throw new TestingError(TestingErrorCodes.invalidOption, 'imposeFloodWait needs skip ≥ 0 and count ≥ 1, whole numbers');
    }
    if (this.floodWaits.length >= FLOOD_WAIT_RULES_MAX) {
      throw new TestingError(TestingErrorCodes.emulatorMisuse, `more than ${FLOOD_WAIT_RULES_MAX} flood-wait rules are armed`);
    }
    this.floodWaits.push({ retryAfterS, method: rule.method?.toLowerCase(), chatId: rule.chatId, skip, count });
  }

  // -------------------------------------------------------------------------------------------
  // Test API: what the bot did
  // -------------------------------------------------------------------------------------------

  sentMessages(chatId?: number): SentMessage[] {
    return this.state.sentMessages(chatId);
  }

  async waitForMessage(predicate: (message: SentMessage) => boolean, options: { timeoutMs: number }): Promise<SentMessage> {
    this.assertOpen();
    if (!(options.timeoutMs > 0)) throw new TestingError(TestingErrorCodes.invalidOption, 'waitForMessage needs a positive timeoutMs');
    const existing = this.state.sentMessages(undefined).find(predicate);
    if (existing !== undefined) return existing;
    if (this.waiters.size >= MESSAGE_WAITERS_MAX) {
      throw new TestingError(TestingErrorCodes.emulatorMisuse, `more than ${MESSAGE_WAITERS_MAX} waitForMessage calls are waiting`);
    }
    return await new Promise<SentMessage>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: MessageWaiter = {
        offer: (message) => {
          let matches: boolean;
          try {
            matches = predicate(message);
          } catch (error) {
            done();
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (!matches) return;
          done();
          resolve(message);
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const timer = setTimeout(
        () =>
          waiter.fail(
            new TestingError(
              TestingErrorCodes.timeout,
              `no sent message matched within ${options.timeoutMs} ms; ${this.describeSent()}`,
            ),
          ),
        options.timeoutMs,
      );
      this.waiters.add(waiter);
    });
  }

  fileBytes(fileId: string): Buffer | undefined {
    return this.state.fileBytes(fileId);
  }

  callbackAnswers(): CallbackAnswer[] {
    return this.state.callbackAnswers();
  }

  calls(method?: string): RecordedCall[] {
    const wanted = method?.toLowerCase();
    return this.recorded
      .filter((call) => wanted === undefined || call.method.toLowerCase() === wanted)
      .map((call) => ({ ...call, params: structuredClone(call.params) }));
  }

  webhook(): { url: string; secretToken?: string } | null {
    const webhook = this.state.webhook;
    if (webhook === undefined) return null;
    return webhook.secretToken === undefined ? { url: webhook.url } : { url: webhook.url, secretToken: webhook.secretToken };
  }

  pendingUpdateCount(): number {
    return this.state.pendingCount;
  }

  /**
   * Stops listening, answers a held long poll with no updates, stops webhook delivery, rejects
   * pending `waitForMessage` calls and drops every connection. Safe to call more than once.
   */
  async close(): Promise<void> {
    this.closing ??= this.shutDown();
    await this.closing;
  }

  private async shutDown(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.poll?.finish('closed');
    this.webhookAbort?.abort();
    for (const waiter of [...this.waiters]) {
      waiter.fail(new TestingError(TestingErrorCodes.emulatorClosed, 'the Bot API emulator was closed while waitForMessage was waiting'));
    }
    // One turn of the event loop lets the answer to the held long poll reach the socket before
    // the connections are dropped; keep-alive connections would otherwise hold `close` open.
    await new Promise((resolve) => setImmediate(resolve));
    this.server.closeAllConnections();
    await Promise.all([serverClosed, ...this.webhookLoops]);
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new TestingError(TestingErrorCodes.emulatorClosed, 'the Bot API emulator is closed');
  }

  private describeSent(): string {
    const sent = this.state.sentMessages(undefined);
    if (sent.length === 0) return 'the bot sent nothing';
    const listed = sent.slice(-TIMEOUT_LISTING_MAX).map((message) => {
      const content = message.text ?? message.caption ?? '';
      const shown = content.length > TIMEOUT_LISTING_TEXT_CHARS_MAX ? `${content.slice(0, TIMEOUT_LISTING_TEXT_CHARS_MAX)}…` : content;
      return `  chat ${message.chatId} #${message.messageId} ${message.kind}${message.deleted ? ' (deleted)' : ''}: ${JSON.stringify(shown)}`;
    });
    const skipped = sent.length - listed.length;
    return `the bot sent ${sent.length} message(s)${skipped > 0 ? `, the last ${listed.length}` : ''}:\n${listed.join('\n')}`;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP
  // -------------------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const route = ROUTE.exec(url.pathname);
    if (route === null) {
      request.resume();
      send(response, 404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    if (safeDecode(route[1] as string) !== this.token) {
      request.resume();
      send(response, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      return;
    }

    const tooLarge: Answer = { ok: false, error_code: 413, description: 'Request Entity Too Large' };
    if (Number(request.headers['content-length'] ?? 0) > BODY_BYTES_MAX) {
      response.setHeader('connection', 'close');
      request.resume();
      send(response, 413, tooLarge);
      return;
    }
    const body = await readBody(request, BODY_BYTES_MAX);
    if (body === undefined) {
      response.setHeader('connection', 'close');
      send(response, 413, tooLarge);
      return;
    }

    let params: CallParams = Object.fromEntries(url.searchParams);
    let failure: BotApiFailure | undefined;
    const parsed = parseBody(request.headers['content-type'], body);
    if (parsed.ok) params = { ...params, ...parsed.params };
    else failure = new BotApiFailure(400, parsed.description);

    const { status, answer } = await this.invoke(route[2] as string, params, response, failure);
    send(response, status, answer);
  }

  /** Runs one method call and records it; `response` is the HTTP exchange, absent for webhook replies. */
  private async invoke(
    methodName: string,
    params: CallParams,
    response: ServerResponse | undefined,
    failure?: BotApiFailure,
  ): Promise<{ status: number; answer: Answer }> {
    const canonical = canonicalMethodName(methodName);
    const call: CallRecord = { method: canonical ?? methodName, params: recordable(params), at: Date.now(), ok: undefined, errorCode: undefined };
    if (this.recorded.length >= CALLS_MAX) this.recorded.shift();
    this.recorded.push(call);
    try {
      if (canonical === undefined) throw new BotApiFailure(404, 'Not Found');
      if (failure !== undefined) throw failure;
      const floodWaitS = this.takeFloodWait(canonical, params);
      if (floodWaitS !== undefined) throw new BotApiFailure(429, `Too Many Requests: retry after ${floodWaitS}`, floodWaitS);
      const result =
        canonical === GET_UPDATES ? await this.getUpdates(params, response) : (METHOD_HANDLERS[canonical] as MethodHandler)(params, this.context);
      call.ok = true;
      return { status: 200, answer: { ok: true, result } };
    } catch (error) {
      call.ok = false;
      if (error instanceof BotApiFailure) {
        call.errorCode = error.errorCode;
        return {
          status: error.errorCode,
          answer: {
            ok: false,
            error_code: error.errorCode,
            description: error.description,
            ...(error.retryAfterS === undefined ? {} : { parameters: { retry_after: error.retryAfterS } }),
          },
        };
      }
      call.errorCode = 500;
      return { status: 500, answer: { ok: false, error_code: 500, description: `Internal Server Error: ${describe(error)}` } };
    }
  }

  /** The retry_after of the first armed rule that refuses this call, counting the call against it. */
  private takeFloodWait(method: string, params: CallParams): number | undefined {
    const chatId = params['chat_id'] === undefined ? undefined : Number(params['chat_id']);
    const index = this.floodWaits.findIndex(
      (rule) => (rule.method === undefined || rule.method === method.toLowerCase()) && (rule.chatId === undefined || rule.chatId === chatId),
    );
    const rule = this.floodWaits[index];
    if (rule === undefined) return undefined;
    if (rule.skip > 0) {
      rule.skip -= 1;
      return undefined;
    }
    rule.count -= 1;
    if (rule.count === 0) this.floodWaits.splice(index, 1);
    return rule.retryAfterS;
  }

  // -------------------------------------------------------------------------------------------
  // getUpdates: long polling
  // -------------------------------------------------------------------------------------------

  /**
   * Answers at once when updates are pending or `timeout` is 0; otherwise holds the request until
   * an update arrives, the timeout passes, the client goes away or the emulator closes. A newer
   * getUpdates ends a held one with 409, as Telegram does when two bot instances poll.
   */
  private async getUpdates(params: CallParams, response: ServerResponse | undefined): Promise<Update[]> {
    if (this.state.webhook !== undefined) throw new BotApiFailure(409, WEBHOOK_ACTIVE_CONFLICT);
    if (response === undefined) throw new BotApiFailure(400, 'Bad Request: getUpdates cannot be a webhook reply');
    const offset = readInteger(params, 'offset');
    const limit = clamp(readInteger(params, 'limit') ?? GET_UPDATES_LIMIT_MAX, 1, GET_UPDATES_LIMIT_MAX);
    const timeoutS = clamp(readInteger(params, 'timeout') ?? 0, 0, LONG_POLL_TIMEOUT_S_MAX);
    const allowedUpdates = readAllowedUpdates(params);

    this.poll?.finish({ conflict: OTHER_POLL_CONFLICT });
    if (allowedUpdates !== undefined) this.state.allowedUpdates = allowedUpdates;
    const ready = this.state.takeUpdates(offset, limit);
    if (ready.length > 0 || timeoutS === 0 || this.closing !== undefined) return ready;

    const outcome = await new Promise<PollOutcome>((resolve) => {
      const onClientGone = (): void => {
        if (!response.writableFinished) poll.finish('client-gone');
      };
      const poll: PendingPoll = {
        finish: (result) => {
          if (this.poll === poll) this.poll = undefined;
          clearTimeout(timer);
          response.off('close', onClientGone);
          resolve(result);
        },
      };
      const timer = setTimeout(() => poll.finish('timeout'), timeoutS * 1000);
      response.once('close', onClientGone);
      this.poll = poll;
    });
    if (typeof outcome === 'object') throw new BotApiFailure(409, outcome.conflict);
    return this.state.takeUpdates(undefined, limit);
  }

  // -------------------------------------------------------------------------------------------
  // Webhook delivery
  // -------------------------------------------------------------------------------------------

  /** Stops the delivery to the previous webhook, if any, and starts it to the new one. */
  private webhookChanged(): void {
    if (this.state.webhook !== undefined) this.poll?.finish({ conflict: WEBHOOK_ACTIVE_CONFLICT });
    this.webhookAbort?.abort();
    this.webhookAbort = undefined;
    const webhook = this.state.webhook;
    if (webhook === undefined || this.closing !== undefined) return;
    const abort = new AbortController();
    this.webhookAbort = abort;
    const loop = this.deliverUpdates(webhook, abort.signal);
    this.webhookLoops.add(loop);
    void loop.finally(() => this.webhookLoops.delete(loop));
  }

  /**
   * Delivers pending updates one at a time, in order, each until the webhook answers 2xx. A
   * failure is noted for getWebhookInfo and retried after a growing delay; after
   * WEBHOOK_ATTEMPTS_MAX failures the update is dropped, as Telegram eventually drops them too.
   */
  private async deliverUpdates(webhook: WebhookState, signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted && this.state.webhook === webhook) {
      const update = this.state.peekUpdate();
      if (update === undefined) {
        await this.nextUpdateOrAbort(signal);
        continue;
      }
      const outcome = await postUpdate(webhook, update, signal);
      if (signal.aborted) return;
      if (outcome.ok) {
        failures = 0;
        this.state.confirmUpdate(update.update_id);
        if (outcome.reply !== undefined) void this.invoke(outcome.reply.method, outcome.reply.params, undefined);
        continue;
      }
      failures += 1;
      webhook.lastErrorDate = unixNow();
      webhook.lastErrorMessage = outcome.error;
      if (failures >= WEBHOOK_ATTEMPTS_MAX) {
        this.state.confirmUpdate(update.update_id);
        failures = 0;
        continue;
      }
      await delay(Math.min(WEBHOOK_RETRY_DELAY_MS_MIN * 2 ** (failures - 1), WEBHOOK_RETRY_DELAY_MS_MAX), signal);
    }
  }

  private async nextUpdateOrAbort(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', wake);
        this.webhookWakers.delete(wake);
        resolve();
      };
      this.webhookWakers.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type DeliveryOutcome = { ok: true; reply: { method: string; params: CallParams } | undefined } | { ok: false; error: string };

/** POSTs one update to the webhook with the secret header; reads a webhook reply if there is one. */
async function postUpdate(webhook: WebhookState, update: Update, signal: AbortSignal): Promise<DeliveryOutcome> {
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(webhook.secretToken === undefined ? {} : { 'x-telegram-bot-api-secret-token': webhook.secretToken }),
      },
      body: JSON.stringify(update),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(WEBHOOK_REQUEST_TIMEOUT_MS)]),
    });
    const text = await readLimitedText(response, WEBHOOK_REPLY_BYTES_MAX);
    if (!response.ok) return { ok: false, error: `Wrong response from the webhook: ${response.status} ${response.statusText}`.trim() };
    return { ok: true, reply: webhookReply(response.headers.get('content-type'), text) };
  } catch (error) {
    return { ok: false, error: describe(error) };
  }
}

/** A method call in a webhook answer (`{ "method": "sendMessage", ... }`), which Telegram executes. */
function webhookReply(contentType: string | null, text: string | undefined): { method: string; params: CallParams } | undefined {
  if (text === undefined || !(contentType ?? '').toLowerCase().includes('application/json')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { method, ...params } = value as Record<string, unknown>;
  return typeof method === 'string' ? { method, params } : undefined;
}

/** The response body as text, or undefined when it is longer than `maxBytes` (then it is discarded). */
async function readLimitedText(response: Response, maxBytes: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parameters as recorded: uploaded files become `{ filename, sizeBytes }`, the bytes are not kept. */
function recordable(params: CallParams): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params).map(([key, value]) => [key, isUploadedFile(value) ? { filename: value.filename, sizeBytes: value.data.length } : value]),
  );
}

function send(response: ServerResponse, status: number, answer: Answer): void {
  if (response.headersSent || response.destroyed) return;
  const body = JSON.stringify(answer);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

async function delay(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
