import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { Wallet } from 'ethers';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import {
  deployTestToken,
  startAnvil,
  startStack,
  SERVICE_NAMES,
  testChainWatcherEnv,
  type AnvilNode,
  type DeployedTestToken,
  type ServiceName,
  type Stack,
} from '@strongbox/shared-stack';
import {
  freePort,
  startBotApiEmulator,
  TEST_DATABASE_URL,
  TEST_NATS_URL,
  uniqueNamespace,
  type BotApiEmulator,
} from '@strongbox/shared-testing';
import { pgSchemaName } from '@strongbox/shared-contracts';

const distDir = fileURLToPath(new URL('../../../dist/apps', import.meta.url));

export interface E2eStack {
  readonly namespace: string;
  readonly stack: Stack;
  readonly emulator: BotApiEmulator;
  readonly anvil: AnvilNode;
  /** The test token (asset USDT) the chain-watcher watches for deposits. */
  readonly token: DeployedTestToken;
  readonly sql: postgres.Sql;
  /** Rows of a table in a service's schema. */
  rows<T extends Record<string, unknown>>(service: ServiceName, query: string, params?: readonly unknown[]): Promise<T[]>;
  /** Stops everything and removes the namespace's schemas and streams. */
  teardown(): Promise<void>;
}

/**
 * Starts anvil, the Bot API emulator and all five services in a fresh namespace against the shared
 * PostgreSQL and NATS, and waits until every service is ready.
 */
/** anvil's third default account: funded with 10,000 ETH on every fresh anvil. Never a real key. */
export const ANVIL_HOT_WALLET_PRIVATE_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
/** Test USDT the e2e hot wallet starts with: 1,000,000.000000. */
const E2E_HOT_WALLET_TOKENS_MINOR = 1_000_000_000_000n;

export async function startE2eStack(options?: {
  extraEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Redis for the services that use it; unset runs them without Redis. */
  redisUrl?: string;
}): Promise<E2eStack> {
  const namespace = uniqueNamespace('e2e');
  const emulator = await startBotApiEmulator();
  const anvil = await startAnvil({ port: await freePort() });
  const token = await deployTestToken({ rpcUrl: anvil.url, symbol: 'USDT' });
  // The withdrawal hot wallet holds test USDT to pay withdrawals out with.
  await token.mint(new Wallet(ANVIL_HOT_WALLET_PRIVATE_KEY).address, E2E_HOT_WALLET_TOKENS_MINOR);
  const ports = await Promise.all(SERVICE_NAMES.map(() => freePort()));
  const opsPorts = Object.fromEntries(SERVICE_NAMES.map((name, index) => [name, ports[index]!])) as Record<ServiceName, number>;
  const stack = startStack({
    namespace,
    databaseUrl: TEST_DATABASE_URL,
    natsUrl: TEST_NATS_URL,
    ...(options?.redisUrl ? { redisUrl: options.redisUrl } : {}),
    botToken: emulator.token,
    telegramApiRoot: emulator.apiRoot,
    chainRpcUrl: anvil.url,
    chainId: anvil.chainId,
    opsPorts,
    distDir,
    logLevel: process.env['E2E_LOG_LEVEL'] ?? 'info',
    ...(process.env['E2E_VERBOSE'] ? { onLine: (service: ServiceName, line: string) => console.log(`[${service}] ${line}`) } : {}),
    extraEnv: {
      ...options?.extraEnv,
      'chain-watcher': {
        CHAIN_POLL_INTERVAL_MS: '500',
        // anvil mines only when a transaction arrives: an idle test chain is not a stalled node.
        CHAIN_STALL_TIMEOUT_MS: '86400000',
        ...testChainWatcherEnv({ tokenAddress: token.address }),
        // anvil's public test account #2 signs withdrawals (account #0 deploys and mints the token).
        CHAIN_HOT_WALLET_PRIVATE_KEY: ANVIL_HOT_WALLET_PRIVATE_KEY,
        ...options?.extraEnv?.['chain-watcher'],
      },
    },
  });
  const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined });
  const e2e: E2eStack = {
    namespace,
    stack,
    emulator,
    anvil,
    token,
    sql,
    rows: async <T extends Record<string, unknown>>(service: ServiceName, query: string, params: readonly unknown[] = []) =>
      (await sql.unsafe(query.replaceAll('%schema%', `"${pgSchemaName(namespace, service)}"`), params as never[])) as unknown as T[],
    async teardown() {
      await stack.stop(10_000);
      token.close();
      await anvil.stop();
      await emulator.close();
      for (const service of SERVICE_NAMES) await sql.unsafe(`drop schema if exists "${pgSchemaName(namespace, service)}" cascade`);
      await sql.end({ timeout: 5 });
      const nc = await connect({ servers: TEST_NATS_URL });
      const jsm = await jetstreamManager(nc);
      // The namespace's streams, and the streams behind its KV buckets (`KV_<ns>_flags`).
      for await (const name of jsm.streams.names()) {
        if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name);
      }
      await nc.close();
    },
  };
  try {
    await stack.waitReady(90_000);
  } catch (error) {
    await e2e.teardown().catch(() => undefined);
    throw error;
  }
  return e2e;
}
