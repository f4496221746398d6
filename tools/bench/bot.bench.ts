import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { createServiceProcess, waitUntilReady, type ServiceProcess } from '@strongbox/shared-stack';
import { freePort, startBotApiEmulator, TEST_DATABASE_URL, TEST_NATS_URL, uniqueNamespace, type BotApiEmulator } from '@strongbox/shared-testing';
import { runLoad, type LoadResult } from './load';
import { buildService } from './build-service';

// ---------------------------------------------------------------------------------------------
// `npm run bench -- bot`: the bot-gateway's whole update path, as the built process in webhook
// mode. Each of `--chats` simulated users sends `/ping` and waits for the bot's answer before
// writing again (a closed loop, like people), so the webhook is fed as fast as the service takes
// updates. One update's latency runs from the start of its webhook POST to the moment the bot's
// reply reaches the Bot API emulator: POST → secret check → JetStream → partition worker → inbox
// transaction → grammY → sendMessage. The POSTs share a keep-alive pool of `--connections`
// sockets, as Telegram does with setWebhook's max_connections.
// ---------------------------------------------------------------------------------------------

const CHATS_MAX = 5_000;
const FIRST_CHAT_ID = 100_000;
const READY_TIMEOUT_MS = 60_000;
const REPLY_TIMEOUT_MS = 30_000;
const WEBHOOK_PATH = '/telegram/webhook';
/** USER_HZ of Linux on every common platform; /proc/<pid>/stat counts in these ticks. */
const CLOCK_TICKS_PER_S = 100;
const WEBHOOK_SECRET = 'bench_webhook_secret_0123456789';
/** Long enough to outlast any run; the waiter only observes sent messages and is dropped at close. */
const OBSERVER_TIMEOUT_MS = 24 * 60 * 60 * 1_000;

export interface BotBenchOptions {
  readonly chats: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** TELEGRAM_UPDATE_PARTITIONS of the service; its default when undefined. */
  readonly partitions: number | undefined;
  /** DATABASE_POOL_SIZE_MAX of the service; partitions + 4 when undefined (a worker holds a connection for its update). */
  readonly servicePool: number | undefined;
  readonly build: boolean;
}

export function parseBotBenchArgs(argv: readonly string[]): BotBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      chats: { type: 'string', default: '100' },
      connections: { type: 'string', default: '40' },
      'warmup-ms': { type: 'string', default: '3000' },
      'duration-ms': { type: 'string', default: '10000' },
      partitions: { type: 'string' },
      'service-pool': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const integer = (name: string, value: string, min: number, max: number) => {
    if (!/^[0-9]+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${value}`);
    const parsed = Number(value);
    if (parsed < min || parsed > max) throw new Error(`--${name} must be in [${min}, ${max}], got ${parsed}`);
    return parsed;
  };
  return {
    chats: integer('chats', values.chats, 1, CHATS_MAX),
    connections: integer('connections', values.connections, 1, 100),
    warmupMs: integer('warmup-ms', values['warmup-ms'], 0, 600_000),
    durationMs: integer('duration-ms', values['duration-ms'], 1_000, 3_600_000),
    partitions: values.partitions === undefined ? undefined : integer('partitions', values.partitions, 1, 64),
    servicePool: values['service-pool'] === undefined ? undefined : integer('service-pool', values['service-pool'], 1, 100),
    build: !values['no-build'],
  };
}

export async function runBotBench(root: string, options: BotBenchOptions): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (options.build) {
    log('building dist/apps/bot-gateway');
    await buildService(root, 'bot-gateway');
  }
  const namespace = uniqueNamespace('bench');
  const emulator = await startBotApiEmulator();
  const webhookPort = await freePort();
  const partitions = options.partitions ?? 16;
  const service: ServiceProcess = createServiceProcess({
    name: 'bot-gateway',
    distDir: join(root, 'dist', 'apps'),
    opsPort: await freePort(),
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      STRONGBOX_NAMESPACE: namespace,
      LOG_LEVEL: 'warn',
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_POOL_SIZE_MAX: String(options.servicePool ?? partitions + 4),
      BOT_TOKEN: emulator.token,
      TELEGRAM_API_ROOT: emulator.apiRoot,
      TELEGRAM_UPDATE_PARTITIONS: String(partitions),
      TELEGRAM_INGRESS: 'webhook',
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${webhookPort}${WEBHOOK_PATH}`,
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      TELEGRAM_WEBHOOK_HOST: '127.0.0.1',
      TELEGRAM_WEBHOOK_PORT: String(webhookPort),
      TELEGRAM_WEBHOOK_PATH: WEBHOOK_PATH,
      TELEGRAM_WEBHOOK_MAX_CONNECTIONS: String(options.connections),
      // Each simulated user writes again as soon as it is answered; the per-user flood limit is not measured here.
      BOT_FLOOD_UPDATES_MAX: '1000',
      // `--cpu-prof --cpu-prof-dir=<dir>` here profiles the service (written when it stops).
      ...(process.env['BOT_BENCH_SERVICE_NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['BOT_BENCH_SERVICE_NODE_OPTIONS'] } : {}),
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  try {
    service.start();
    await waitUntilReady(service, READY_TIMEOUT_MS);
    log(`bot-gateway ready (namespace ${namespace}, ${partitions} partitions); ${options.chats} chats, ${options.connections} connections`);
    const serviceCpuBefore = processCpuMs(service.pid);
    const benchCpuBefore = process.cpuUsage();
    const result = await measure(emulator, agent, webhookPort, options);
    const serviceCpuMs = processCpuMs(service.pid) - serviceCpuBefore;
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const updates = Math.max(1, result.completedTotal);
    report(options, partitions, result, {
      serviceCpuMsPerUpdate: serviceCpuMs / updates,
      benchCpuMsPerUpdate: (benchCpu.user + benchCpu.system) / 1_000 / updates,
    });
  } finally {
    agent.destroy();
    await service.stop(10_000).catch(() => undefined);
    await emulator.close();
    await cleanUp(namespace).catch((error: unknown) => log(`clean-up failed: ${String(error)}`));
  }
}

/** Closed loop per chat: POST `/ping`, wait for the bot's answer in that chat, repeat. */
async function measure(emulator: BotApiEmulator, agent: Agent, webhookPort: number, options: BotBenchOptions): Promise<LoadResult & { completedTotal: number }> {
  const waiting = new Map<number, () => void>();
  // A predicate that never matches sees every message the bot sends: the emulator's only push hook.
  emulator
    .waitForMessage(
      (message) => {
        const resolve = waiting.get(message.chatId);
        if (resolve) {
          waiting.delete(message.chatId);
          resolve();
        }
        return false;
      },
      { timeoutMs: OBSERVER_TIMEOUT_MS },
    )
    .catch(() => undefined);
  for (let chat = 0; chat < options.chats; chat += 1) emulator.openChat({ userId: FIRST_CHAT_ID + chat, languageCode: 'en' });

  let nextUpdateId = 1;
  let completedTotal = 0;
  const result = await runLoad({
    clients: options.chats,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    operation: async (client) => {
      const chatId = FIRST_CHAT_ID + client;
      const updateId = nextUpdateId;
      nextUpdateId += 1;
      const replied = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(chatId);
          reject(Object.assign(new Error(`no reply to update ${updateId} within ${REPLY_TIMEOUT_MS} ms`), { code: 'REPLY_TIMEOUT' }));
        }, REPLY_TIMEOUT_MS);
        waiting.set(chatId, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      const body = JSON.stringify({
        update_id: updateId,
        message: {
          message_id: updateId,
          date: Math.floor(Date.now() / 1_000),
          chat: { id: chatId, type: 'private', first_name: 'Bench' },
          from: { id: chatId, is_bot: false, first_name: 'Bench', language_code: 'en' },
          text: '/ping',
          entities: [{ type: 'bot_command', offset: 0, length: 5 }],
        },
      });
      const status = await post(agent, webhookPort, body);
      if (status !== 200) {
        waiting.delete(chatId);
        replied.catch(() => undefined);
        throw Object.assign(new Error(`webhook answered ${status}`), { code: `HTTP_${status}` });
      }
      await replied;
      completedTotal += 1;
    },
  });
  return { ...result, completedTotal };
}

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: '127.0.0.1',
        port,
        path: WEBHOOK_PATH,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-telegram-bot-api-secret-token': WEBHOOK_SECRET,
        },
        timeout: REPLY_TIMEOUT_MS,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    call.on('timeout', () => call.destroy(new Error('webhook POST timed out')));
    call.on('error', reject);
    call.end(body);
  });
}

/** User + system CPU time of a process so far, from /proc (Linux), in ms; 0 where unavailable. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted from `state` as field 3.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

function report(options: BotBenchOptions, partitions: number, result: LoadResult & { completedTotal: number }, cpu: { serviceCpuMsPerUpdate: number; benchCpuMsPerUpdate: number }): void {
  const figures = {
    bench: 'bot',
    chats: options.chats,
    connections: options.connections,
    partitions,
    duration_ms: result.durationMs,
    updates: result.completed,
    errors: result.errors,
    updates_per_s: Math.round(result.tps),
    p50_ms: round(result.p50Ms),
    p99_ms: round(result.p99Ms),
    max_ms: round(result.maxMs),
    // CPU per update over the whole run (warm-up included): the service process, and this process (poster + emulator).
    service_cpu_ms_per_update: Math.round(cpu.serviceCpuMsPerUpdate * 100) / 100,
    bench_cpu_ms_per_update: Math.round(cpu.benchCpuMsPerUpdate * 100) / 100,
  };
  process.stdout.write(
    [
      '| chats | connections | partitions | updates | updates/s | p50 ms | p99 ms | max ms | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${options.chats} | ${options.connections} | ${partitions} | ${result.completed} | ${figures.updates_per_s} | ${figures.p50_ms} | ${figures.p99_ms} | ${figures.max_ms} | ${JSON.stringify(result.errors)} |`,
      JSON.stringify(figures),
      '',
    ].join('\n'),
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Drops the bench namespace's schema and streams. */
async function cleanUp(namespace: string): Promise<void> {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`drop schema if exists "${pgSchemaName(namespace, 'bot-gateway')}" cascade`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}
