import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import postgres from 'postgres';
import { assignDepositAddress, chainSchema, createChainRpcClient, createDepositAddressDeriver, chainMigrationsFolder, type ChainRpcClient } from '@strongbox/chain-data-access';
import { deployTestToken, testDepositXpub, type DeployedTestToken } from '@strongbox/chain-testing';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { createDatabase, migrate, type Database } from '@strongbox/shared-db';
import { createCircuitBreaker, type Breaker } from '@strongbox/shared-resilience';
import { startAnvil, type AnvilNode } from '@strongbox/shared-stack';
import { freePort, TEST_DATABASE_URL, uniqueNamespace } from '@strongbox/shared-testing';
import { newId } from '@strongbox/shared-domain';
import { createDepositScanner, type DepositScanner } from '../../src/index';
import type { WatchedTokens } from '../../src/index';

// ---------------------------------------------------------------------------------------------
// A private anvil with the test token, the chain-watcher's schema in a fresh namespace on the
// shared PostgreSQL, and a scanner over them. `proxy` sits between the scanner and anvil and can
// be told to misbehave (garbage, a head that goes backwards, silence) for failure tests.
// ---------------------------------------------------------------------------------------------

export const REQUIRED_CONFIRMATIONS = 3;
export const DUST_MINIMUM_MINOR = 1_000_000n;
export const RPC_TIMEOUT_MS = 1_000;

export const ProxyModes = { pass: 'pass', garbage: 'garbage', backwards: 'backwards', silent: 'silent', wrongShape: 'wrong-shape' } as const;
export type ProxyMode = (typeof ProxyModes)[keyof typeof ProxyModes];

export interface RpcProxy {
  readonly url: string;
  mode: ProxyMode;
  /** Requests seen, by JSON-RPC method. */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

/** A tiny JSON-RPC server in front of `upstream`, answering as its `mode` says. */
export async function startRpcProxy(upstream: string): Promise<RpcProxy> {
  const calls = new Map<string, number>();
  const proxy: { mode: ProxyMode } = { mode: ProxyModes.pass };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString();
        const parsed = JSON.parse(body) as { id: number; method: string } | Array<{ id: number; method: string }>;
        const list = Array.isArray(parsed) ? parsed : [parsed];
        for (const call of list) calls.set(call.method, (calls.get(call.method) ?? 0) + 1);
        const mode = proxy.mode;
        if (mode === ProxyModes.silent) return; // never answers; the client's timeout must fire
        if (mode === ProxyModes.garbage) {
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":0x12 this is not json');
          return;
        }
        if (mode === ProxyModes.wrongShape && list.some((call) => call.method !== 'eth_chainId')) {
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify(list.map((call) => ({ jsonrpc: '2.0', id: call.id, result: call.method === 'eth_blockNumber' ? 'lots' : { number: 'x' } }))));
          return;
        }
        const upstreamResponse = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await upstreamResponse.text();
        if (mode === ProxyModes.backwards) {
          const answers = JSON.parse(text) as unknown;
          const rewrite = (answer: { id: number; result?: unknown }) => {
            const call = list.find((item) => item.id === answer.id);
            return call?.method === 'eth_blockNumber' ? { ...answer, result: '0x1' } : answer;
          };
          const rewritten = Array.isArray(answers) ? answers.map(rewrite) : rewrite(answers as { id: number });
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rewritten));
          return;
        }
        response.writeHead(upstreamResponse.status, { 'content-type': 'application/json' }).end(text);
      })().catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return proxy.mode;
    },
    set mode(value: ProxyMode) {
      proxy.mode = value;
    },
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ChainHarness {
  readonly namespace: string;
  readonly anvil: AnvilNode;
  readonly token: DeployedTestToken;
  readonly proxy: RpcProxy;
  readonly database: Database<typeof chainSchema>;
  readonly sql: postgres.Sql;
  readonly tokens: WatchedTokens;
  /** A scanner as a (re)started watcher builds it: a fresh instance over the same schema. */
  scanner(options?: { urls?: readonly string[]; breaker?: Breaker; reorgDepthMax?: number; tokens?: WatchedTokens }): {
    scanner: DepositScanner;
    rpc: ChainRpcClient;
    breaker: Breaker;
  };
  /** A new user with an assigned deposit address; returns both. */
  newDepositor(): Promise<{ userId: string; address: string }>;
  /** Calls a JSON-RPC method on anvil directly. */
  anvilRpc(method: string, params?: unknown[]): Promise<unknown>;
  mine(blocks: number): Promise<void>;
  head(): Promise<number>;
  /** Outbox events of `type`, oldest first. */
  events(type: string): Promise<Array<{ id: string; data: Record<string, unknown> }>>;
  dispose(): Promise<void>;
}

export async function startChainHarness(prefix: string): Promise<ChainHarness> {
  const namespace = uniqueNamespace(prefix);
  const schema = pgSchemaName(namespace, 'chain-watcher');
  const anvil = await startAnvil({ port: await freePort() });
  const token = await deployTestToken({ rpcUrl: anvil.url, symbol: 'USDT' });
  const proxy = await startRpcProxy(anvil.url);
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: chainMigrationsFolder, lockTimeoutMs: 10_000 });
  const database = createDatabase(
    { url: TEST_DATABASE_URL, schema, applicationName: `${namespace}-test`, poolSizeMax: 4, connectTimeoutMs: 5_000, statementTimeoutMs: 15_000 },
    chainSchema,
  );
  const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined, connection: { search_path: schema } });
  const tokens: WatchedTokens = [{ asset: 'USDT', decimals: 6, dustMinimumMinor: DUST_MINIMUM_MINOR, contracts: [{ address: token.address.toLowerCase(), fromBlock: 0, toBlock: null }] }];
  const deriver = createDepositAddressDeriver(testDepositXpub());
  const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
  const anvilRpc = async (method: string, params: unknown[] = []) => {
    const response = await fetch(anvil.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  return {
    namespace,
    anvil,
    token,
    proxy,
    database,
    sql,
    tokens,
    scanner(options = {}) {
      const breaker = options.breaker ?? createCircuitBreaker({ name: 'chain-rpc', consecutiveFailures: 3, halfOpenAfterMs: 60_000 });
      const rpc = createChainRpcClient({ urls: options.urls ?? [proxy.url], chainId: anvil.chainId, requestTimeoutMs: RPC_TIMEOUT_MS, breaker });
      const scanner = createDepositScanner({
        database,
        rpc,
        namespace,
        tokens: options.tokens ?? tokens,
        requiredConfirmations: REQUIRED_CONFIRMATIONS,
        scanBlocksMax: 50,
        reorgDepthMax: options.reorgDepthMax ?? 16,
        logger,
        registry: new Registry(),
      });
      return { scanner, rpc, breaker };
    },
    async newDepositor() {
      const userId = newId();
      const { address } = await database.db.transaction((tx) => assignDepositAddress(tx, { namespace, chainId: anvil.chainId, userId, deriver, now: new Date() }));
      return { userId, address: address.address };
    },
    anvilRpc,
    async mine(blocks) {
      await anvilRpc('anvil_mine', [`0x${blocks.toString(16)}`]);
    },
    async head() {
      return Number.parseInt((await anvilRpc('eth_blockNumber')) as string, 16);
    },
    async events(type) {
      const rows = await sql<Array<{ event: { id: string; type: string; data: Record<string, unknown> } }>>`select event from outbox order by seq`;
      return rows.map((row) => row.event).filter((event) => event.type === type).map((event) => ({ id: event.id, data: event.data }));
    },
    async dispose() {
      await proxy.close();
      token.close();
      await anvil.stop();
      await database.close(5_000);
      await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      await sql.end({ timeout: 5 });
    },
  };
}
