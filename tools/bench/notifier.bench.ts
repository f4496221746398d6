import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { createServiceProcess, waitUntilReady, type ServiceProcess } from '@strongbox/shared-stack';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL, TEST_REDIS_URL, uniqueNamespace } from '@strongbox/shared-testing';
import { startEmulatorProcess, type EmulatorProcess } from './emulator.process';
import { buildService } from './build-service';

// ---------------------------------------------------------------------------------------------
// `npm run bench -- notifier`: the notifier's delivery worker, as the built process, against the
// Bot API emulator enforcing Telegram's limits (1 message per second per chat, `--rate` in total,
// sliding one-second windows). `--messages` notifications to `--chats` chats are put on the queue
// at once; the bench times them from the first message the emulator records to the last and reads
// the 429 answers and duplicates from the emulator's record. The global limit is shared through
// the loopback Redis, as in production.
// ---------------------------------------------------------------------------------------------

const MESSAGES_MAX = 100_000;
const CHATS_MAX = 10_000;
const READY_TIMEOUT_MS = 60_000;
const INSERT_CHUNK = 1_000;
const POLL_MS = 500;

export interface NotifierBenchOptions {
  readonly messages: number;
  readonly chats: number;
  readonly rate: number;
}

export function parseNotifierBenchArgs(argv: readonly string[]): NotifierBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      messages: { type: 'string', default: '1500' },
      chats: { type: 'string', default: '300' },
      rate: { type: 'string', default: '30' },
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
    messages: integer('messages', values.messages, 10, MESSAGES_MAX),
    chats: integer('chats', values.chats, 1, CHATS_MAX),
    rate: integer('rate', values.rate, 1, 1_000),
  };
}

export async function runNotifierBench(root: string, options: NotifierBenchOptions): Promise<void> {
  process.stderr.write('building dist/apps/notifier …\n');
  await buildService(root, 'notifier');
  const namespace = uniqueNamespace('bn');
  const schema = pgSchemaName(namespace, 'notifier');
  const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined });
  let emulator: EmulatorProcess | undefined;
  let notifier: ServiceProcess | undefined;
  try {
    // In a process of its own: its clock judges the sender's timing (emulator.process.ts).
    emulator = await startEmulatorProcess({ perChatPerSecond: 1, globalPerSecond: options.rate });
    const chats = Array.from({ length: options.chats }, (_, index) => 8_000_000 + index);
    await emulator.openChats(chats);
    notifier = createServiceProcess({
      name: 'notifier',
      distDir: join(root, 'dist', 'apps'),
      opsPort: await freePort(),
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        STRONGBOX_NAMESPACE: namespace,
        LOG_LEVEL: 'warn',
        NATS_URL: TEST_NATS_URL,
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        BOT_TOKEN: emulator.token,
        TELEGRAM_API_ROOT: emulator.apiRoot,
        NOTIFY_GLOBAL_RATE_PER_S: String(options.rate),
      },
    });
    notifier.start();
    await waitUntilReady(notifier, READY_TIMEOUT_MS);

    // The queue as the notifier's consumers fill it: rows only (the bench lives outside the notify scope).
    const rows = Array.from({ length: options.messages }, (_, index) => {
      const chatId = chats[index % chats.length] as number;
      return {
        id: `bench:${index}`,
        chat_id: chatId,
        priority: 1,
        template: 'bench',
        language_code: 'en',
        text: `${chatId}#${index}`,
        entities: sql.json([]),
        causation_id: `bench-${index}`,
      };
    });
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      await sql`insert into ${sql(schema)}.notifications ${sql(rows.slice(start, start + INSERT_CHUNK))}`;
    }
    const enqueuedMs = Date.now();
    const timeoutMs = (options.messages / options.rate) * 1_000 * 3 + 60_000;
    // Progress is read from the notifier's table, not the emulator: snapshotting the emulator's record
    // while it works would stall it, and a stalled Telegram stamps late requests together.
    for (;;) {
      const [progress] = await sql<Array<{ open: number }>>`
        select count(*)::int as open from ${sql(schema)}.notifications where state in ('pending', 'sending')`;
      if ((progress?.open ?? 1) === 0) break;
      if (Date.now() - enqueuedMs > timeoutMs) throw new Error(`${progress?.open} of ${options.messages} still open after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }

    const sent = await emulator.sentMessages();
    const times = sent.map((message) => message.sentAt).sort((a, b) => a - b);
    const seconds = ((times.at(-1) as number) - (times[0] as number)) / 1_000;
    const sentPerS = (sent.length - 1) / seconds;
    const distinct = new Set(sent.map((message) => message.rawText)).size;
    // Which limit each refusal hit, from the emulator's own record of accepted sends.
    const calls = await emulator.calls('sendMessage');
    const accepted = calls.filter((call) => call.ok === true);
    const refusedBy = { chat: 0, global: 0 };
    for (const refusal of calls.filter((call) => call.errorCode === 429)) {
      const window = accepted.filter((call) => call.at > refusal.at - 1_000 && call.at <= refusal.at);
      if (window.some((call) => call.params['chat_id'] === refusal.params['chat_id'])) refusedBy.chat += 1;
      else refusedBy.global += 1;
    }
    // Where the slots went, from the notifier's own metrics: slots given up because the lane woke or
    // finished its claim too late to send on time (a process short of CPU or database time).
    const metricsText = await fetch(`${notifier.opsUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
      .then((response) => response.text())
      .catch(() => '');
    const metric = (pattern: RegExp): number => Number(pattern.exec(metricsText)?.[1] ?? Number.NaN);
    const claimCount = metric(/^strongbox_notify_claim_seconds_count(?:\{[^}]*\})? ([0-9.e+-]+)$/m);
    const claimSum = metric(/^strongbox_notify_claim_seconds_sum(?:\{[^}]*\})? ([0-9.e+-]+)$/m);
    const result = {
      bench: 'notifier',
      messages: options.messages,
      chats: options.chats,
      seconds: Math.round(seconds * 100) / 100,
      sent_per_s: Math.round(sentPerS * 100) / 100,
      configured_limit_per_s: options.rate,
      ratio_to_limit: Math.round((sentPerS / options.rate) * 10_000) / 10_000,
      http_429_count: calls.filter((call) => call.errorCode === 429).length,
      duplicates: sent.length - distinct,
      first_message_after_enqueue_ms: (times[0] as number) - enqueuedMs,
      slots_missed_late_wake: metric(/^strongbox_notify_slots_missed_total\{[^}]*reason="late_wake"[^}]*\} ([0-9.e+-]+)$/m),
      slots_missed_late_claim: metric(/^strongbox_notify_slots_missed_total\{[^}]*reason="late_claim"[^}]*\} ([0-9.e+-]+)$/m),
      claim_ms_mean: Math.round((claimSum / claimCount) * 1_000 * 10) / 10,
    };
    process.stdout.write(
      [
        `delivered    ${sent.length} messages to ${options.chats} chats in ${result.seconds} s: ${result.sent_per_s}/s, limit ${options.rate}/s (ratio ${result.ratio_to_limit})`,
        `slots        given up: ${result.slots_missed_late_wake} woke late, ${result.slots_missed_late_claim} claimed late; claim ${result.claim_ms_mean} ms on average`,
        `refused      ${result.http_429_count} × 429 (${refusedBy.global} by the global limit, ${refusedBy.chat} by a chat's); duplicates ${result.duplicates}`,
        JSON.stringify(result),
        '',
      ].join('\n'),
    );
  } finally {
    await notifier?.stop(15_000).catch(() => undefined);
    await emulator?.close().catch(() => undefined);
    await sql.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await sql.end({ timeout: 5 }).catch(() => undefined);
    const nc = await connect({ servers: TEST_NATS_URL }).catch(() => undefined);
    if (nc) {
      const jsm = await jetstreamManager(nc);
      for await (const name of jsm.streams.names()) {
        if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name).catch(() => false);
      }
      await nc.close();
    }
  }
}

