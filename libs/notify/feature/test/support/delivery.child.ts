// The delivery worker alone in a process of its own, for the tests that SIGKILL it and for those
// that must not share an event loop with the Bot API emulator (Telegram is another machine: the
// emulator's clock must not stall when the worker's process is busy). Started by
// `startDeliveryChild` (delivery.child-process.ts); configured by one JSON environment variable;
// logs JSON lines to stdout; SIGTERM stops it gracefully.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { pgSchemaName, redisKeyPrefix } from '@strongbox/shared-contracts';
import { createDatabase } from '@strongbox/shared-db';
import { notifySchema } from '@strongbox/notify-data-access';
import { startDelivery, type DeliveryOptions } from '../../src/index';

interface ChildConfig {
  readonly databaseUrl: string;
  readonly namespace: string;
  readonly redisUrl?: string;
  readonly options: DeliveryOptions;
}

const config = JSON.parse(process.env['DELIVERY_CHILD_CONFIG'] ?? '{}') as ChildConfig;
const logger = pino({ level: 'info' });
const schema = pgSchemaName(config.namespace, 'notifier');
const database = createDatabase(
  { url: config.databaseUrl, schema, applicationName: `${schema}-child`, poolSizeMax: 20, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 },
  notifySchema,
);
const redis =
  config.redisUrl === undefined
    ? undefined
    : new Redis(config.redisUrl, {
        keyPrefix: redisKeyPrefix(config.namespace, 'notifier'),
        connectTimeout: 1_000,
        commandTimeout: 1_000,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => 200,
      });
redis?.on('error', () => undefined);
if (redis) await new Promise<void>((resolve) => (redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve())));

const registry = new Registry();
const worker = await startDelivery({ namespace: config.namespace, logger, registry, redis, onShutdown: () => undefined }, database, config.options);
logger.info({ ready: true }, 'delivery child ready');
process.once('SIGTERM', () => {
  void (async () => {
    // The worker's own account of the run, for tests that report figures.
    const missed = await registry.getSingleMetric('strongbox_notify_slots_missed_total')?.get();
    const claims = await registry.getSingleMetric('strongbox_notify_claim_seconds')?.get();
    logger.info(
      {
        slotsMissed: Object.fromEntries((missed?.values ?? []).map((value) => [String(value.labels['reason']), value.value])),
        claimMsMean: (() => {
          const sum = claims?.values.find((value) => (value as { metricName?: string }).metricName === 'strongbox_notify_claim_seconds_sum')?.value ?? 0;
          const count = claims?.values.find((value) => (value as { metricName?: string }).metricName === 'strongbox_notify_claim_seconds_count')?.value ?? 0;
          return count === 0 ? null : Math.round((sum / count) * 10_000) / 10;
        })(),
      },
      'delivery child report',
    );
    await worker.stop(10_000);
    await database.close(5_000);
    redis?.disconnect();
    process.exit(0);
  })();
});
