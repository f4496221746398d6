import { Redis } from 'ioredis';
import pino from 'pino';
import postgres, { type Sql } from 'postgres';
import { pgSchemaName, redisKeyPrefix } from '@strongbox/shared-contracts';
import { createDatabase, dropSchema, migrate, type Database } from '@strongbox/shared-db';
import { TEST_DATABASE_URL, startPrivateRedis, uniqueNamespace, waitFor, type PrivateServer } from '@strongbox/shared-testing';
import { gatewayMigrationsFolder, gatewaySchema } from '@strongbox/gateway-data-access';

// Shared plumbing of the gateway feature's integration tests: a migrated random gateway schema on
// the loopback PostgreSQL, and Redis clients configured like the service runtime's (no offline
// queue, short timeouts), on the shared Redis or on a private one a test can kill and restart.

export type GatewayDatabase = Database<typeof gatewaySchema>;

export interface GatewayTestDatabase {
  readonly namespace: string;
  readonly database: GatewayDatabase;
  /** A raw pool on the same schema, to look at rows the code under test wrote. */
  readonly sql: Sql;
  dispose(): Promise<void>;
}

/** Migrates `<random namespace>_bot_gateway` and opens a pool on it. */
export async function freshGatewayDatabase(prefix = 'gw'): Promise<GatewayTestDatabase> {
  const namespace = uniqueNamespace(prefix);
  const schema = pgSchemaName(namespace, 'bot-gateway');
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: gatewayMigrationsFolder, lockTimeoutMs: 10_000 });
  const database = createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName: `${schema}-test`, poolSizeMax: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 20_000 },
    gatewaySchema,
  );
  const sql = postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 5, onnotice: () => undefined, connection: { search_path: schema } });
  return {
    namespace,
    database,
    sql,
    async dispose() {
      await sql.end({ timeout: 5 });
      await database.close(5_000);
      await dropSchema(TEST_DATABASE_URL, schema);
    },
  };
}

/**
 * A Redis client as the service runtime opens it (key prefix `<namespace>:bot-gateway:`, commands
 * fail at once while disconnected), reconnecting quickly so outage tests stay short.
 */
export function gatewayRedisClient(url: string, namespace: string): Redis {
  const client = new Redis(url, {
    keyPrefix: redisKeyPrefix(namespace, 'bot-gateway'),
    connectTimeout: 1_000,
    commandTimeout: 1_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 100,
  });
  // Connection errors are the point of these tests; without a listener ioredis prints each one.
  client.on('error', () => undefined);
  return client;
}

/** A private Redis (which a test may kill) and a service-like client on it. */
export interface RedisUnderTest {
  readonly server: PrivateServer;
  readonly client: Redis;
  /** A plain client without prefix, to look at or plant raw keys. */
  readonly raw: () => Redis;
  /** Resolves once the client has reconnected after a restart. */
  waitUntilReady(): Promise<void>;
  dispose(): Promise<void>;
}

export async function privateRedisUnderTest(namespace: string): Promise<RedisUnderTest> {
  const server = await startPrivateRedis();
  const client = gatewayRedisClient(server.url, namespace);
  const raws: Redis[] = [];
  const waitUntilReady = () =>
    waitFor(() => client.status === 'ready', { timeoutMs: 10_000, description: 'redis client ready again' }).then(() => undefined);
  await waitUntilReady();
  return {
    server,
    client,
    raw: () => {
      const raw = new Redis(server.url, { maxRetriesPerRequest: 1, connectTimeout: 1_000, lazyConnect: false });
      raw.on('error', () => undefined);
      raws.push(raw);
      return raw;
    },
    waitUntilReady,
    async dispose() {
      client.disconnect();
      for (const raw of raws) raw.disconnect();
      await server.stop();
    },
  };
}

/** A silent logger for code under test. */
export const testLogger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
