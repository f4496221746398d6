import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigError, loadConfig } from '@strongbox/shared-config';
import { createDatabase, createOutboxRelay, migrate, type Database, type OutboxRelay } from '@strongbox/shared-db';
import {
  connectNats,
  createEventPublisher,
  ensureStreams,
  standardStreams,
  startConsumer,
  type ConsumerHandle,
  type EventPublisher,
  type StartConsumerOptions,
} from '@strongbox/shared-messaging';
import {
  createLogger,
  createMetricsRegistry,
  createOpsServer,
  createReadiness,
  initTracing,
  type Readiness,
} from '@strongbox/shared-observability';
import { retryWithBackoff } from '@strongbox/shared-resilience';
import { pgSchemaName, redisKeyPrefix } from '@strongbox/shared-contracts';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { RuntimeConfig } from './runtime.config';

// ---------------------------------------------------------------------------------------------
// One way to run a service: load config, build dependencies, start, shut down gracefully.
// ---------------------------------------------------------------------------------------------

/** How long a dependency may stay unreachable at start before the process gives up (and exits 1). */
const DEPENDENCY_WAIT_MS_MAX = 60_000;
const NATS_CONNECT_TIMEOUT_MS = 5_000;
const PUBLISH_TIMEOUT_MS = 5_000;
const READINESS_CHECK_TIMEOUT_MS = 2_000;
const OUTBOX_BATCH_SIZE_MAX = 100;
const OUTBOX_POLL_INTERVAL_MS = 1_000;
const MIGRATION_LOCK_TIMEOUT_MS = 30_000;
const REDIS_CONNECT_TIMEOUT_MS = 2_000;
const REDIS_COMMAND_TIMEOUT_MS = 1_000;
const REDIS_RECONNECT_DELAY_MS_MAX = 5_000;

/** What a service's start function receives: its config and every shared capability, ready. */
export interface ServiceContext<TConfig extends RuntimeConfig> {
  readonly service: string;
  readonly config: TConfig;
  readonly namespace: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly readiness: Readiness;
  readonly nats: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly publisher: EventPublisher;
  /**
   * Redis with this service's key prefix (`<namespace>:<service>:`), or undefined when REDIS_URL is
   * unset. Redis is never required: commands fail fast while it is down (no offline queue), and
   * callers fall back to their degraded mode; /readyz lists it as optional.
   */
  readonly redis: Redis | undefined;
  /**
   * Opens the service's own PostgreSQL schema (`<namespace>_<service>`): applies its migrations,
   * starts its outbox relay and adds a readiness check. Retries while PostgreSQL is unreachable.
   */
  openDatabase<TTables extends Record<string, unknown>>(options: {
    tables: TTables;
    migrationsFolder: string;
  }): Promise<Database<TTables>>;
  /** Starts a durable consumer; the runtime stops it (letting in-flight work finish) on shutdown. */
  consume<T>(options: Omit<StartConsumerOptions<T>, 'js' | 'jsm' | 'logger' | 'registry'>): Promise<ConsumerHandle>;
  /** Registers a shutdown step; steps run in reverse order of registration, before NATS drains. */
  onShutdown(name: string, step: () => Promise<void>): void;
}

export interface ServiceDefinition<TSchema extends z.ZodObject> {
  /** The service name, as in `apps/<service>`: `ledger`, `bot-gateway`. */
  readonly service: string;
  readonly configSchema: TSchema;
  /** Config keys whose values must never be echoed (they may also come from `<KEY>_FILE`). */
  readonly secretKeys?: readonly string[];
  start(context: ServiceContext<z.output<TSchema> & RuntimeConfig>): Promise<void>;
}

interface ShutdownStep {
  readonly name: string;
  readonly step: () => Promise<void>;
}

/**
 * Runs a service as the process: exits 1 naming every config problem, exits 0 after a graceful
 * shutdown on SIGTERM/SIGINT, exits 1 when shutdown overruns `SHUTDOWN_TIMEOUT_MS`.
 *
 * @example
 * await runService({ service: 'ledger', configSchema: ledgerConfigSchema, start: startLedger }, process.env);
 */
export async function runService<TSchema extends z.ZodObject>(
  definition: ServiceDefinition<TSchema>,
  env: Record<string, string | undefined>,
): Promise<void> {
  let config: z.output<TSchema> & RuntimeConfig;
  try {
    config = loadConfig(definition.configSchema, env, { secretKeys: [...(definition.secretKeys ?? [])] }) as z.output<TSchema> &
      RuntimeConfig;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${definition.service}: invalid configuration\n${error.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      process.exit(1);
    }
    throw error;
  }

  const startedAtMs = Date.now();
  const namespace = config.STRONGBOX_NAMESPACE;
  const logger = createLogger({ service: definition.service, namespace, level: config.LOG_LEVEL });
  const tracing = initTracing({
    service: definition.service,
    namespace,
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
  const registry = createMetricsRegistry({ service: definition.service, namespace });
  const readiness = createReadiness();
  let shuttingDown = false;
  const ops = createOpsServer({
    host: config.OPS_HOST,
    port: config.OPS_PORT,
    service: definition.service,
    logger,
    registry,
    readiness,
    isShuttingDown: () => shuttingDown,
  });
  // Ready means the service's own start finished too (consumers, command servers, loops), not only
  // that the ops server listens: a caller that waits for /readyz may use the service at once.
  let started = false;
  let startupMs = 0;
  readiness.add({ name: 'started', required: true, check: async () => ({ up: started, detail: { startedAfterMs: started ? startupMs : null } }) });
  const opsAddress = await ops.start();
  logger.info({ url: opsAddress.url }, 'ops server listening');

  const steps: ShutdownStep[] = [];
  const consumers: ConsumerHandle[] = [];
  const databases: Array<{ database: Pick<Database<Record<string, unknown>>, 'close'>; relay: OutboxRelay }> = [];
  let nats: NatsConnection | undefined;
  let redisClient: Redis | undefined;

  // A failed start shuts down as carefully as a signal does, but must still exit 1.
  const shutdown = async (reason: string, exitCode = 0): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const timeoutMs = config.SHUTDOWN_TIMEOUT_MS;
    logger.info({ reason, timeoutMs }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown overran its time limit; exiting');
      process.exit(1);
    }, timeoutMs);
    hardStop.unref();
    const run = async (name: string, step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (error) {
        logger.error({ err: error, step: name }, 'shutdown step failed');
      }
    };
    // Stop taking work first: feature steps (e.g. the Telegram poller), then consumers, which
    // finish what they hold; then publish what the outbox still has, and only then close the pipes.
    for (const { name, step } of [...steps].reverse()) await run(name, step);
    await Promise.all(consumers.map((consumer) => run('consumer', () => consumer.stop(timeoutMs / 2))));
    for (const { relay, database } of databases) {
      await run('outbox relay', async () => {
        await relay.drainOnce().catch(() => 0);
        await relay.stop(timeoutMs / 4);
      });
      await run('database', () => database.close(timeoutMs / 4));
    }
    const connection = nats;
    if (connection) await run('nats drain', () => connection.drain());
    const redis = redisClient;
    if (redis) await run('redis', async () => void (await redis.quit().catch(() => redis.disconnect())));
    await run('ops server', () => ops.close());
    await run('tracing', () => tracing.shutdown());
    clearTimeout(hardStop);
    logger.info({ uptimeMs: Date.now() - startedAtMs }, 'stopped');
    logger.flush?.();
    process.exit(exitCode);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    nats = await waitForDependency('nats', logger, () =>
      connectNats({ servers: config.NATS_URL, name: `${namespace}-${definition.service}`, connectTimeoutMs: NATS_CONNECT_TIMEOUT_MS }),
    );
    const connection = nats;
    readiness.add({
      name: 'nats',
      required: true,
      timeoutMs: READINESS_CHECK_TIMEOUT_MS,
      check: async () => {
        if (connection.isClosed()) return { up: false, detail: { state: 'closed' } };
        const rttMs = await connection.rtt();
        return { up: true, detail: { rttMs: Math.round(rttMs * 100) / 100, server: connection.getServer() } };
      },
    });
    const jsm = await jetstreamManager(connection, { timeout: PUBLISH_TIMEOUT_MS });
    await ensureStreams(jsm, standardStreams(namespace));
    const js = jetstream(connection, { timeout: PUBLISH_TIMEOUT_MS });
    const publisher = createEventPublisher(js, { timeoutMs: PUBLISH_TIMEOUT_MS });
    const redis = config.REDIS_URL ? openRedis(config.REDIS_URL, namespace, definition.service, logger, readiness) : undefined;
    if (redis) redisClient = redis;

    const context: ServiceContext<z.output<TSchema> & RuntimeConfig> = {
      service: definition.service,
      config,
      namespace,
      logger,
      registry,
      readiness,
      nats: connection,
      js,
      jsm,
      publisher,
      redis,
      async openDatabase({ tables, migrationsFolder }) {
        const url = config.DATABASE_URL;
        if (!url) throw new Error(`${definition.service}: DATABASE_URL is required to open a database`);
        const schema = pgSchemaName(namespace, definition.service);
        await waitForDependency('postgres', logger, () =>
          migrate({ url, schema, migrationsFolder, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS }),
        );
        const database = createDatabase(
          {
            url,
            schema,
            applicationName: `${namespace}-${definition.service}`,
            poolSizeMax: config.DATABASE_POOL_SIZE_MAX ?? 10,
            connectTimeoutMs: 5_000,
            statementTimeoutMs: 15_000,
          },
          tables,
        );
        readiness.add({
          name: 'postgres',
          required: true,
          timeoutMs: READINESS_CHECK_TIMEOUT_MS,
          check: async () => {
            await database.ping(READINESS_CHECK_TIMEOUT_MS);
            return { up: true, detail: { schema } };
          },
        });
        const relay = createOutboxRelay({
          database,
          publish: async ({ subject, event, headers }) => {
            await publisher.publish(subject, event, headers);
          },
          logger: logger.child({ component: 'outbox-relay' }),
          batchSizeMax: OUTBOX_BATCH_SIZE_MAX,
          pollIntervalMs: OUTBOX_POLL_INTERVAL_MS,
          registry,
        });
        relay.start();
        databases.push({ database, relay });
        return database;
      },
      async consume(options) {
        const handle = await startConsumer({ ...options, js, jsm, logger: logger.child({ consumer: options.spec.durable }), registry });
        consumers.push(handle);
        return handle;
      },
      onShutdown(name, step) {
        steps.push({ name, step });
      },
    };

    await definition.start(context);
    startupMs = Date.now() - startedAtMs;
    started = true;
    logger.info({ startupMs, ops: opsAddress.url }, 'started');
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await shutdown('start failed', 1).catch(() => undefined);
    process.exit(1);
  }
}

/**
 * Calls `connect` until it succeeds, with back-off, for at most DEPENDENCY_WAIT_MS_MAX; each failure
 * is logged naming the dependency, so an operator sees exactly what the service is waiting for.
 */
async function waitForDependency<T>(name: string, logger: Logger, connect: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + DEPENDENCY_WAIT_MS_MAX;
  return retryWithBackoff(
    async (attempt) => {
      try {
        return await connect();
      } catch (error) {
        logger.warn({ err: error, dependency: name, attempt }, `waiting for ${name}`);
        throw error;
      }
    },
    {
      attemptsMax: 1_000,
      delayMsInitial: 250,
      delayMsMax: 5_000,
      isRetryable: () => Date.now() < deadline,
    },
  );
}

/**
 * Connects to Redis in the background and keeps reconnecting; never blocks start-up, because every
 * use of Redis has a degraded mode. Registers the optional `redis` readiness check.
 */
function openRedis(url: string, namespace: string, service: string, logger: Logger, readiness: Readiness): Redis {
  const redis = new Redis(url, {
    keyPrefix: redisKeyPrefix(namespace, service),
    connectionName: `${namespace}-${service}`,
    lazyConnect: false,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // Fail fast while disconnected instead of queueing: the caller degrades at once.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(REDIS_RECONNECT_DELAY_MS_MAX, 100 * 2 ** Math.min(attempt, 6)),
  });
  let lastState = '';
  redis.on('error', (error: Error) => {
    // ioredis emits an error per failed reconnect; log state changes only, not every attempt.
    if (lastState !== 'error') logger.warn({ err: error }, 'redis unavailable: running degraded');
    lastState = 'error';
  });
  redis.on('ready', () => {
    if (lastState === 'error') logger.info('redis available again');
    lastState = 'ready';
  });
  readiness.add({
    name: 'redis',
    required: false,
    timeoutMs: READINESS_CHECK_TIMEOUT_MS,
    check: async () => {
      if (redis.status !== 'ready') return { up: false, detail: { state: redis.status } };
      await redis.ping();
      return { up: true, detail: { state: redis.status } };
    },
  });
  return redis;
}
