import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import postgres from 'postgres';
import { eventSubject, pgSchemaName, type CloudEvent } from '@strongbox/shared-contracts';
import { dropSchema } from '@strongbox/shared-db';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL, uniqueNamespace, waitFor } from '@strongbox/shared-testing';

// ---------------------------------------------------------------------------------------------
// The notifier's content side as a child process (test/support/notifier-content.main.ts) in a
// fresh namespace, a NATS connection to publish the events it consumes, and SQL on its schema to
// read the queue it fills. No delivery worker runs: the queue is the observable.
// ---------------------------------------------------------------------------------------------

const MAIN = fileURLToPath(new URL('./notifier-content.main.ts', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const LOG_LINES_MAX = 400;

export interface QueuedNotification {
  id: string;
  user_id: string | null;
  chat_id: string;
  priority: number;
  template: string;
  language_code: string;
  text: string;
  entities: Array<{ type: string; offset: number; length: number }>;
  causation_id: string;
  broadcast_id: string | null;
}

export interface NotifierHarness {
  readonly namespace: string;
  readonly sql: postgres.Sql;
  readonly js: JetStreamClient;
  readonly nc: NatsConnection;
  /** Starts the process (again) and waits until /readyz says ready. */
  start(extraEnv?: Record<string, string>): Promise<void>;
  /** SIGKILL: no graceful shutdown. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** Publishes the event as is, without a message id, so JetStream never drops a copy: the notifier must. */
  publish(event: CloudEvent<unknown>): Promise<void>;
  notifications(where?: { template?: string; userId?: string }): Promise<QueuedNotification[]>;
  waitForNotifications(count: number, where?: { template?: string; userId?: string }, timeoutMs?: number): Promise<QueuedNotification[]>;
  logs(): readonly string[];
  dispose(): Promise<void>;
}

export async function startNotifierHarness(prefix: string, options: { databaseUrl?: string } = {}): Promise<NotifierHarness> {
  const databaseUrl = options.databaseUrl ?? TEST_DATABASE_URL;
  const namespace = uniqueNamespace(prefix);
  const schema = pgSchemaName(namespace, 'notifier');
  const nc: NatsConnection = await connect({ servers: TEST_NATS_URL });
  const js = jetstream(nc);
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => undefined, connection: { search_path: schema } });
  const opsPort = await freePort();
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();

  const notifications = async (where: { template?: string; userId?: string } = {}) =>
    sql<QueuedNotification[]>`
      select id, user_id, chat_id::text as chat_id, priority, template, language_code, text, entities, causation_id, broadcast_id
      from notifications
      where (${where.template ?? null}::text is null or template = ${where.template ?? null})
        and (${where.userId ?? null}::uuid is null or user_id = ${where.userId ?? null})
      order by sequence`.catch(() => [] as QueuedNotification[]);

  const harness: NotifierHarness = {
    namespace,
    sql,
    js,
    nc,
    async start(extraEnv = {}) {
      const spawned = spawn(process.execPath, ['--import', 'tsx', MAIN], {
        env: {
          PATH: process.env['PATH'] ?? '',
          NODE_ENV: 'test',
          STRONGBOX_NAMESPACE: namespace,
          LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'info',
          OPS_HOST: '127.0.0.1',
          OPS_PORT: String(opsPort),
          NATS_URL: TEST_NATS_URL,
          DATABASE_URL: databaseUrl,
          NOTIFY_ASSET_DECIMALS: 'USDT:6',
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const keep = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (line.length === 0) continue;
          lines.push(line);
          if (lines.length > LOG_LINES_MAX) lines.shift();
          if (process.env['TEST_VERBOSE']) console.log(`[notifier] ${line}`);
        }
      };
      spawned.stdout?.on('data', keep);
      spawned.stderr?.on('data', keep);
      exited = new Promise((resolve) => spawned.once('exit', resolve));
      child = spawned;
      await waitFor(
        async () => {
          if (spawned.exitCode !== null) throw new Error(`notifier exited ${spawned.exitCode}:\n${lines.slice(-20).join('\n')}`);
          const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`, { signal: AbortSignal.timeout(1_000) });
          return response.status === 200;
        },
        { timeoutMs: READY_TIMEOUT_MS, description: 'the notifier to be ready' },
      );
    },
    async kill() {
      child?.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child?.kill('SIGTERM');
      await exited;
    },
    async publish(event) {
      await js.publish(eventSubject(namespace, event.type), JSON.stringify(event));
    },
    notifications,
    async waitForNotifications(count, where = {}, timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const rows = await notifications(where);
          return rows.length >= count ? rows : undefined;
        },
        { timeoutMs, description: `${count} notifications ${JSON.stringify(where)}` },
      );
    },
    logs: () => lines,
    async dispose() {
      child?.kill('SIGKILL');
      await exited;
      await sql.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
      await sql.end({ timeout: 5 });
      await dropSchema(databaseUrl, schema).catch(() => undefined);
      const jsm = await jetstreamManager(nc);
      for await (const name of jsm.streams.names()) {
        if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name);
      }
      await nc.close();
    },
  };
  return harness;
}
