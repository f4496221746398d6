import http from 'node:http';
import https from 'node:https';
import type { MessageEntity } from 'grammy/types';

// ---------------------------------------------------------------------------------------------
// One sendMessage request, classified by whether it can have reached Telegram. Written on
// node:http rather than grammY's Api or fetch because the unknown-outcome rule needs to know one
// thing those hide: did the socket connect (so the request may have been written) before the
// failure? A failure before the connection is provably unsent and is retried; one after it is
// unknown and is never sent again.
// ---------------------------------------------------------------------------------------------

export type SendResult =
  | { readonly kind: 'ok'; readonly messageId: number }
  /** Telegram answered with an error. */
  | { readonly kind: 'refused'; readonly status: number; readonly description: string; readonly retryAfterS: number | undefined }
  /** The request never reached Telegram (no connection was made). */
  | { readonly kind: 'not-sent'; readonly error: string }
  /** The request may have reached Telegram, but no complete answer came. */
  | { readonly kind: 'unknown'; readonly error: string };

export interface TelegramSenderOptions {
  /** `https://api.telegram.org` or an emulator's root. */
  readonly apiRoot: string;
  readonly token: string;
  /** Limit from the start of the request to the end of the answer. */
  readonly requestTimeoutMs: number;
  /** Sockets kept open for reuse; at most one request per socket at a time. */
  readonly socketsMax: number;
}

export interface TelegramSender {
  sendMessage(chatId: bigint, text: string, entities: readonly MessageEntity[]): Promise<SendResult>;
  close(): void;
}

/** The largest answer read; a sendMessage answer is a few hundred bytes. */
const RESPONSE_BYTES_MAX = 1_048_576;
/**
 * Idle sockets close after this, before the server's own idle timeout (Node's default is 5 s):
 * a request written on a socket the server is closing at that moment would fail with an unknown
 * outcome for no reason.
 */
const IDLE_SOCKET_TIMEOUT_MS = 3_000;

/** Creates a sender with its own keep-alive agent. */
export function createTelegramSender(options: TelegramSenderOptions): TelegramSender {
  const root = new URL(options.apiRoot);
  const secure = root.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.socketsMax, maxFreeSockets: options.socketsMax, timeout: IDLE_SOCKET_TIMEOUT_MS };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const requestFn = secure ? https.request : http.request;
  const base = root.href.endsWith('/') ? root.href : `${root.href}/`;
  // The token is part of the path only; it is never logged (errors below name no URL).
  const url = new URL(`./bot${options.token}/sendMessage`, base);

  return {
    sendMessage(chatId, text, entities) {
      // Chat ids fit in 52 bits (checked at enqueue), so the JSON number is exact.
      const body = JSON.stringify({ chat_id: Number(chatId), text, entities, link_preview_options: { is_disabled: true } });
      return new Promise<SendResult>((resolve) => {
        let connected = false;
        let settled = false;
        const finish = (result: SendResult): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(result);
        };
        let request: http.ClientRequest;
        try {
          request = requestFn(url, {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          });
        } catch (error) {
          // Nothing left the process; the message (the token may be in it) is not passed on.
          resolve({ kind: 'not-sent', error: `request not created: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
          return;
        }
        const timer = setTimeout(() => {
          request.destroy(new Error(`no answer within ${options.requestTimeoutMs} ms`));
        }, options.requestTimeoutMs);
        request.on('socket', (socket) => {
          // A reused keep-alive socket is connected already; a new one reports when it is.
          if (!socket.connecting) connected = true;
          else socket.once(secure ? 'secureConnect' : 'connect', () => (connected = true));
        });
        request.on('error', (error: NodeJS.ErrnoException) => {
          const reason = `${error.code ?? error.name}: ${error.message}`;
          finish(connected ? { kind: 'unknown', error: reason } : { kind: 'not-sent', error: reason });
        });
        request.on('response', (response) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > RESPONSE_BYTES_MAX) {
              response.destroy(new Error('answer too large'));
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', (error) => finish({ kind: 'unknown', error: `answer broken off: ${error.message}` }));
          response.on('end', () => finish(classifyAnswer(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
        });
        request.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function classifyAnswer(status: number, raw: string): SendResult {
  let answer: { ok?: unknown; result?: { message_id?: unknown }; error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } };
  try {
    answer = JSON.parse(raw) as typeof answer;
  } catch {
    // A proxy in front of Telegram may answer 5xx in HTML: it did not process the request.
    if (status >= 500) return { kind: 'refused', status, description: `HTTP ${status} without a Bot API answer`, retryAfterS: undefined };
    return { kind: 'unknown', error: `HTTP ${status} with an answer that is not JSON` };
  }
  if (answer.ok === true && typeof answer.result?.message_id === 'number') return { kind: 'ok', messageId: answer.result.message_id };
  if (answer.ok === true) return { kind: 'unknown', error: 'ok answer without a message id' };
  const code = typeof answer.error_code === 'number' ? answer.error_code : status;
  const retryAfter = answer.parameters?.retry_after;
  return {
    kind: 'refused',
    status: code,
    description: typeof answer.description === 'string' ? answer.description : `HTTP ${status}`,
    retryAfterS: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : undefined,
  };
}
