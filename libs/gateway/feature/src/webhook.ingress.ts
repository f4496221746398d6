import { fastify, type FastifyInstance } from 'fastify';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { UpdateStore } from './update.store';
import { webhookSecretMatcher } from './webhook.secret';

// ---------------------------------------------------------------------------------------------
// Webhook ingress: Telegram POSTs each update here; it is answered 200 only once JetStream has
// stored it, so an update Telegram was told "received" can never be lost. Everything else gets a
// status that makes Telegram re-send (5xx) or, for a request that is not Telegram's (wrong secret,
// not an update), a 4xx, and nothing is stored.
// ---------------------------------------------------------------------------------------------

/** Largest update body accepted. Telegram's updates are a few KiB; a message of 4096 characters with entities stays far below. */
export const WEBHOOK_BODY_BYTES_MAX = 256 * 1024;
/** Time limits of the webhook's connections; Telegram gives up on a request after about a minute. */
const CONNECTION_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/**
 * An update as the webhook accepts it: `update_id` a non-negative safe integer and at least one
 * update field, each an object (Telegram sends exactly one; a newer Bot API may add kinds, which
 * are stored and left to grammY).
 */
const updateBodySchema = {
  type: 'object',
  required: ['update_id'],
  minProperties: 2,
  properties: { update_id: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
  additionalProperties: { type: 'object' },
} as const;

export const WebhookOutcomes = {
  stored: 'stored',
  duplicate: 'duplicate',
  unauthorized: 'unauthorized',
  invalid: 'invalid',
  unavailable: 'unavailable',
} as const;
export type WebhookOutcome = (typeof WebhookOutcomes)[keyof typeof WebhookOutcomes];

export interface WebhookIngressOptions {
  readonly host: string;
  /** 0 picks a free port (tests); `start()` reports the real one. */
  readonly port: number;
  /** Path of the route, e.g. `/telegram/webhook`. */
  readonly path: string;
  /** The `secret_token` given to setWebhook; requests without it are refused before the body is read. */
  readonly secret: string;
  readonly updates: UpdateStore;
  /** Longest wait for the store; past it the answer is 503 (the store's own timeout should be shorter). */
  readonly storeTimeoutMs: number;
  readonly logger: Logger;
  readonly registry?: Registry;
}

export interface WebhookIngress {
  start(): Promise<{ url: string; port: number }>;
  /** Stops accepting requests, lets the ones in flight finish, closes. */
  close(): Promise<void>;
  /** True between a successful `start()` and `close()`. */
  listening(): boolean;
}

/**
 * A fastify server with one route, `POST <path>`: secret check in `onRequest` (before the body is
 * read), JSON schema check of the update, store in JetStream, then 200.
 *
 * | request | answer | stored |
 * |---|---|---|
 * | secret header missing or wrong (any method or path) | 401 | no |
 * | not JSON, not an update, over WEBHOOK_BODY_BYTES_MAX | 400 / 415 / 413 | no |
 * | update, stored (or already stored) | 200 | once |
 * | update, NATS down or slower than `storeTimeoutMs` | 503 | maybe, de-duplicated when re-sent |
 *
 * @example
 * const webhook = createWebhookIngress({ host: '0.0.0.0', port: 8443, path: '/telegram/webhook', secret, updates, storeTimeoutMs: 2_000, logger });
 * await webhook.start();
 */
export function createWebhookIngress(options: WebhookIngressOptions): WebhookIngress {
  const { updates, logger, storeTimeoutMs } = options;
  const secretMatches = webhookSecretMatcher(options.secret);
  const requests = new Counter({
    name: 'strongbox_gateway_webhook_requests_total',
    help: 'Webhook requests by outcome.',
    labelNames: ['outcome'],
    registers: options.registry ? [options.registry] : [],
  });
  let isListening = false;

  const app: FastifyInstance = fastify({
    logger: false,
    bodyLimit: WEBHOOK_BODY_BYTES_MAX,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: storeTimeoutMs + CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    // Telegram sends `update_id` as a number; a string "5" is not an update, so no coercion.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });

  // Telegram sends JSON only; without the text parser another type is a plain 415.
  app.removeContentTypeParser('text/plain');

  // Every request, on any path, shows the secret before anything else happens: a stranger learns
  // neither which paths exist nor anything about the body parser.
  app.addHook('onRequest', async (request, reply) => {
    if (secretMatches(request.headers[SECRET_HEADER])) return;
    requests.inc({ outcome: WebhookOutcomes.unauthorized });
    // Returning the reply ends the request here: no body parsing, no handler.
    return reply.code(401).header('connection', 'close').send({ ok: false, error: 'unauthorized' });
  });

  app.setErrorHandler(async (error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    const statusCode = error.statusCode ?? 500;
    if (statusCode >= 500) {
      logger.error({ err: error }, 'webhook request failed');
      requests.inc({ outcome: WebhookOutcomes.unavailable });
      return reply.code(503).send({ ok: false, error: 'unavailable' });
    }
    requests.inc({ outcome: WebhookOutcomes.invalid });
    logger.warn({ code: error.code, statusCode, error: error.message }, 'webhook request refused');
    return reply.code(statusCode).send({ ok: false, error: error.code ?? 'bad_request' });
  });

  app.post(options.path, { schema: { body: updateBodySchema } }, async (request, reply) => {
    const update = request.body as Update;
    try {
      const ack = await withTimeout(updates.store(update), storeTimeoutMs);
      requests.inc({ outcome: ack.duplicate ? WebhookOutcomes.duplicate : WebhookOutcomes.stored });
      return await reply.code(200).send();
    } catch (error) {
      requests.inc({ outcome: WebhookOutcomes.unavailable });
      logger.warn({ err: error, updateId: update.update_id }, 'update not stored; answering 503 so Telegram re-sends it');
      return await reply.code(503).send({ ok: false, error: 'unavailable' });
    }
  });

  return {
    async start() {
      await app.listen({ host: options.host, port: options.port });
      isListening = true;
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
      return { url: `http://${host}:${port}${options.path}`, port };
    },
    async close() {
      isListening = false;
      await app.close();
    },
    listening: () => isListening,
  };
}

/** Bounds a promise: the store has its own timeout, this is the webhook's promise to Telegram. */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not stored within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
