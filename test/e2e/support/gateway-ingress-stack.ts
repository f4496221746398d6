import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Update } from 'grammy/types';
import { pgSchemaName, streamName, StreamBases } from '@strongbox/shared-contracts';
import { createServiceProcess, waitUntilReady, type ServiceProcess } from '@strongbox/shared-stack';
import {
  freePort,
  startBotApiEmulator,
  startTcpFaultProxy,
  TEST_DATABASE_URL,
  TEST_NATS_URL,
  uniqueNamespace,
  waitFor,
  type BotApiEmulator,
  type TcpFaultProxy,
} from '@strongbox/shared-testing';

// ---------------------------------------------------------------------------------------------
// The bot-gateway alone, as the real process built into dist/apps/bot-gateway, in a fresh
// namespace, talking to a Bot API emulator through a TCP fault proxy (so a test can hang Telegram).
// In webhook mode the test POSTs updates to the service's webhook itself, as Telegram would.
// ---------------------------------------------------------------------------------------------

const distDir = fileURLToPath(new URL('../../../dist/apps', import.meta.url));
export const GATEWAY_READY_TIMEOUT_MS = 60_000;
export const WEBHOOK_PATH = '/telegram/webhook';

export interface GatewayIngressStackOptions {
  readonly mode: 'webhook' | 'polling';
  /** NATS for the service (a private server in outage tests); the shared one by default. */
  readonly natsUrl?: string;
  /**
   * PostgreSQL for the service and for the stack's own `sql` (a private server in outage tests);
   * the shared one by default. A private server is thrown away with its data, so teardown then
   * leaves the schema alone (the server may well be down by then).
   */
  readonly databaseUrl?: string;
  readonly partitions?: number;
  readonly extraEnv?: Record<string, string>;
  readonly prefix?: string;
}

export interface StoredInboxRow {
  readonly eventId: string;
  readonly updateId: number;
  readonly processedAt: Date;
}

export interface GatewayIngressStack {
  readonly namespace: string;
  readonly schema: string;
  readonly emulator: BotApiEmulator;
  /** Between the service and the emulator: `stall()` hangs every Telegram call. */
  readonly telegramProxy: TcpFaultProxy;
  readonly service: ServiceProcess;
  readonly secret: string;
  readonly webhookUrl: string;
  readonly partitions: number;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  readonly sql: postgres.Sql;
  /** POSTs a body to the webhook with the right secret (or `secret`, or none for `null`); resolves with the HTTP status. */
  post(update: Update | string, options?: { secret?: string | null; timeoutMs?: number }): Promise<number>;
  /** Rows of the update inbox (`bot-gateway-handle-on-tg-update`), or of another inbox consumer. */
  inbox(consumer?: string): Promise<StoredInboxRow[]>;
  /** Messages in the ingress stream. */
  storedUpdates(): Promise<number>;
  /** Dead letters of the ingress consumers: subject and update id. */
  deadLetters(): Promise<Array<{ subject: string; updateId: number }>>;
  /** True when every consumer of the given stream in this namespace has nothing pending or unacknowledged. */
  idle(stream: 'updates' | 'deadLetters'): Promise<boolean>;
  /** sendMessage calls the bot made that reply to `messageId` in `chatId`. */
  repliesTo(chatId: number, messageId: number): number;
  /** SIGKILLs the service and starts it again; resolves once it is ready. */
  killAndRestart(): Promise<void>;
  /** Starts the service again after it exited; resolves once it is ready. */
  restart(): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * Starts the emulator, the proxy and the built bot-gateway, and waits until it is ready (in
 * webhook mode also until it has set its webhook on the emulator). Set E2E_VERBOSE to see its log.
 */
export async function startGatewayIngressStack(options: GatewayIngressStackOptions): Promise<GatewayIngressStack> {
  const namespace = uniqueNamespace(options.prefix ?? 'gwe2e');
  const schema = pgSchemaName(namespace, 'bot-gateway');
  const partitions = options.partitions ?? 16;
  const emulator = await startBotApiEmulator();
  const telegramProxy = await startTcpFaultProxy({ host: '127.0.0.1', port: Number(new URL(emulator.apiRoot).port) });
  const webhookPort = await freePort();
  const webhookUrl = `http://127.0.0.1:${webhookPort}${WEBHOOK_PATH}`;
  const secret = randomBytes(24).toString('base64url');
  const natsUrl = options.natsUrl ?? TEST_NATS_URL;
  const databaseUrl = options.databaseUrl ?? TEST_DATABASE_URL;
  const service = createServiceProcess({
    name: 'bot-gateway',
    distDir,
    opsPort: await freePort(),
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'development',
      STRONGBOX_NAMESPACE: namespace,
      LOG_LEVEL: process.env['E2E_LOG_LEVEL'] ?? 'info',
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE_MAX: String(partitions + 4),
      BOT_TOKEN: emulator.token,
      TELEGRAM_API_ROOT: `http://${telegramProxy.host}:${telegramProxy.port}`,
      TELEGRAM_UPDATE_PARTITIONS: String(partitions),
      TELEGRAM_UPDATE_RETRY_DELAY_MS: '50',
      TELEGRAM_UPDATE_ACK_WAIT_MS: '2000',
      // These tests send bursts from one user on purpose; the per-user flood limit is not what they test.
      BOT_FLOOD_UPDATES_MAX: '1000',
      TELEGRAM_INGRESS: options.mode,
      ...(options.mode === 'webhook'
        ? {
            TELEGRAM_WEBHOOK_URL: webhookUrl,
            TELEGRAM_WEBHOOK_SECRET: secret,
            TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
            TELEGRAM_WEBHOOK_PORT: String(webhookPort),
            TELEGRAM_WEBHOOK_PATH: WEBHOOK_PATH,
          }
        : {}),
      ...options.extraEnv,
    },
    ...(process.env['E2E_VERBOSE'] ? { onLine: (name: string, line: string) => console.log(`[${name}] ${line}`) } : {}),
  });
  const nc: NatsConnection = await connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  const js = jetstream(nc, { timeout: 5_000 });
  const sql = postgres(databaseUrl, { max: 2, connect_timeout: 5, onnotice: () => undefined, connection: { search_path: schema } });
  const prefix = namespace.toUpperCase();

  const waitUntilServing = async (): Promise<void> => {
    let waiting = true;
    const exited = service.exited().then((exit) => {
      if (waiting) throw new Error(`bot-gateway exited while starting (${JSON.stringify(exit)}):\n${service.logs().slice(-30).join('\n')}`);
    });
    try {
      await Promise.race([waitUntilReady(service, GATEWAY_READY_TIMEOUT_MS), exited]);
      if (options.mode === 'webhook') {
        await waitFor(() => emulator.webhook()?.url === webhookUrl, { timeoutMs: 10_000, description: 'the webhook set on the emulator' });
      }
    } finally {
      waiting = false;
    }
  };

  const consumerStates = async (streamBase: string) => {
    const states: Array<{ pending: number; ackPending: number }> = [];
    for await (const info of jsm.consumers.list(`${prefix}_${streamBase}`)) states.push({ pending: info.num_pending, ackPending: info.num_ack_pending });
    return states;
  };

  const stack: GatewayIngressStack = {
    namespace,
    schema,
    emulator,
    telegramProxy,
    service,
    secret,
    webhookUrl,
    partitions,
    jsm,
    js,
    sql,

    async post(update, postOptions = {}) {
      const presented = postOptions.secret === undefined ? secret : postOptions.secret;
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(presented === null ? {} : { 'x-telegram-bot-api-secret-token': presented }) },
        body: typeof update === 'string' ? update : JSON.stringify(update),
        signal: AbortSignal.timeout(postOptions.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer();
      return response.status;
    },

    async inbox(consumer = 'bot-gateway-handle-on-tg-update') {
      const rows = await sql<Array<{ event_id: string; processed_at: Date }>>`
        select event_id, processed_at from inbox where consumer = ${consumer} order by processed_at`;
      return rows.map((row) => ({ eventId: row.event_id, updateId: Number(row.event_id.split(':')[2]), processedAt: row.processed_at }));
    },

    async storedUpdates() {
      return (await jsm.streams.info(streamName(namespace, StreamBases.tgUpdates))).state.messages;
    },

    async deadLetters() {
      const letters: Array<{ subject: string; updateId: number }> = [];
      const stream = streamName(namespace, StreamBases.deadLetters);
      const { state } = await jsm.streams.info(stream);
      for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq += 1) {
        const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (message && message.subject.startsWith(`${namespace}.dlq.bot-gateway-handle-on-tg-update-p`)) {
          letters.push({ subject: message.subject, updateId: message.json<{ update_id: number }>().update_id });
        }
      }
      return letters;
    },

    async idle(which) {
      const states = await consumerStates(which === 'updates' ? StreamBases.tgUpdates : StreamBases.deadLetters);
      return states.length > 0 && states.every((state) => state.pending === 0 && state.ackPending === 0);
    },

    repliesTo(chatId, messageId) {
      return emulator.calls('sendMessage').filter((call) => {
        if (call.ok !== true || Number(call.params['chat_id']) !== chatId) return false;
        const parameters = call.params['reply_parameters'];
        const parsed = (typeof parameters === 'string' ? JSON.parse(parameters) : parameters) as { message_id?: number } | undefined;
        return parsed?.message_id === messageId;
      }).length;
    },

    async killAndRestart() {
      const exit = await service.kill('SIGKILL');
      if (exit.signal !== 'SIGKILL') throw new Error(`bot-gateway ended with ${JSON.stringify(exit)} instead of being killed`);
      service.start();
      await waitUntilServing();
    },

    async restart() {
      service.start();
      await waitUntilServing();
    },

    async teardown() {
      const failures: unknown[] = [];
      const step = async (work: () => Promise<unknown>): Promise<void> => {
        await work().catch((error: unknown) => failures.push(error));
      };
      await step(() => service.stop(10_000));
      await step(() => emulator.close());
      await step(() => telegramProxy.close());
      await step(async () => {
        for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name);
      });
      await step(() => nc.close());
      if (options.databaseUrl === undefined) await step(() => sql.unsafe(`drop schema if exists "${schema}" cascade`));
      await step(() => sql.end({ timeout: 5 }));
      if (failures.length > 0) throw failures[0];
    },
  };

  service.start();
  try {
    await waitUntilServing();
  } catch (error) {
    await stack.teardown().catch(() => undefined);
    throw error;
  }
  return stack;
}

/** A private-chat text message update as Telegram sends it; `/word` gets its bot_command entity. */
export function messageUpdate(
  updateId: number,
  user: { userId: number; languageCode?: string },
  text: string,
  options: { messageId?: number; withoutChat?: boolean } = {},
): Update {
  const command = /^\/[a-z0-9_]+/i.exec(text);
  const from = { id: user.userId, is_bot: false, first_name: 'Test', ...(user.languageCode ? { language_code: user.languageCode } : {}) };
  return {
    update_id: updateId,
    message: {
      message_id: options.messageId ?? updateId,
      date: Math.floor(Date.now() / 1000),
      ...(options.withoutChat ? {} : { chat: { id: user.userId, type: 'private', first_name: 'Test' } }),
      from,
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    },
  } as Update;
}
