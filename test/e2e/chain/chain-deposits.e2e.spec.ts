// Proves the chain-watcher's deposit side as real processes (dist/apps) next to the real ledger, on
// a private anvil with the test token, the shared PostgreSQL and NATS, in a fresh namespace:
//  1. a deposit is confirmed exactly at the N-th confirmation — the watcher's cursor stands on the
//     N-1-th block with nothing confirmed and the ledger balance at 0 — and the ledger credits it
//     once, though the watcher is SIGKILLed and restarted before and after the confirmation;
//  2. a node outage (state dumped, anvil killed, deposits made on an anvil restarted from the dump
//     while the watcher's path to it is cut by the fault proxy): maintenance goes on by itself with
//     a reason naming the chain, a claim made meanwhile is answered pending_network_recovery; when
//     the path is restored the watcher re-scans from its cursor, every missed deposit is credited
//     once, the re-scanned range is published, the claim resolves, and maintenance goes off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  ChainCommandErrors,
  claimDepositV1,
  depositConfirmedV1,
  eventSubject,
  getBalanceV1,
  getDepositAddressV1,
  openAccountV1,
  pgSchemaName,
  rangeRescannedV1,
  streamName,
  StreamBases,
} from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { CommandError, createCommandClient, Flags, watchFlags, type CommandClient, type FlagWatcher } from '@strongbox/shared-messaging';
import {
  ANVIL_SECOND_PRIVATE_KEY,
  attachTestToken,
  createServiceProcess,
  deployTestToken,
  startAnvil,
  testChainWatcherEnv,
  waitUntilReady,
  type AnvilNode,
  type DeployedTestToken,
  type ServiceName,
  type ServiceProcess,
} from '@strongbox/shared-stack';
import { freePort, startTcpFaultProxy, TEST_DATABASE_URL, TEST_NATS_URL, uniqueNamespace, waitFor, type TcpFaultProxy } from '@strongbox/shared-testing';
import { pino } from 'pino';

const distDir = fileURLToPath(new URL('../../../dist/apps', import.meta.url));
const CONFIRMATIONS = 3;
const USDT = 1_000_000n;
const READY_TIMEOUT_MS = 60_000;

let namespace: string;
let anvil: AnvilNode;
let anvilPort: number;
let token: DeployedTestToken;
let proxy: TcpFaultProxy;
let ledger: ServiceProcess;
let watcher: ServiceProcess;
let nc: NatsConnection;
let jsm: JetStreamManager;
let client: CommandClient;
let flags: FlagWatcher;
let chainSql: postgres.Sql;
let ledgerSql: postgres.Sql;

function serviceEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    NODE_ENV: 'development',
    STRONGBOX_NAMESPACE: namespace,
    LOG_LEVEL: process.env['E2E_LOG_LEVEL'] ?? 'info',
    NATS_URL: TEST_NATS_URL,
    DATABASE_URL: TEST_DATABASE_URL,
    ...extra,
  };
}

async function startProcess(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  const service = createServiceProcess({
    name,
    distDir,
    opsPort: await freePort(),
    env: serviceEnv(env),
    ...(process.env['E2E_VERBOSE'] ? { onLine: (service: string, line: string) => console.log(`[${service}] ${line}`) } : {}),
  });
  service.start();
  await waitUntilReady(service, READY_TIMEOUT_MS);
  return service;
}

async function anvilRpc(method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const head = async () => Number.parseInt((await anvilRpc('eth_blockNumber')) as string, 16);
const mine = (blocks: number) => anvilRpc('anvil_mine', [`0x${blocks.toString(16)}`]);

async function cursor(): Promise<number> {
  const [row] = await chainSql<Array<{ block_number: string }>>`select block_number::text from scan_cursors`;
  return row ? Number(row.block_number) : -1;
}

async function waitForCursor(block: number): Promise<void> {
  await waitFor(async () => (await cursor()) >= block, { timeoutMs: 20_000, intervalMs: 50, description: `the watcher's cursor at block ${block}` });
}

async function available(userId: string): Promise<bigint> {
  return BigInt((await client.call(getBalanceV1, { userId, asset: 'USDT' })).available);
}

async function confirmedInOutbox(txHash: string) {
  return chainSql<Array<{ event: { data: { confirmations: number } }; published_at: Date | null }>>`
    select event, published_at from outbox where event->>'type' = ${depositConfirmedV1.type} and event->'data'->>'txHash' = ${txHash}`;
}

/** Opens the user's ledger accounts and waits for the watcher to assign a deposit address. */
async function newDepositor(): Promise<{ userId: string; address: string }> {
  const userId = newId();
  await client.call(openAccountV1, { userId, assets: ['USDT'] });
  const address = await waitFor(
    async () => {
      try {
        return (await client.call(getDepositAddressV1, { userId })).address;
      } catch (error) {
        if (error instanceof CommandError && error.code === ChainCommandErrors.addressNotFound) return undefined;
        throw error;
      }
    },
    { timeoutMs: 20_000, intervalMs: 100, description: 'a deposit address for the new user' },
  );
  return { userId, address };
}

async function restartWatcher(): Promise<void> {
  const exit = await watcher.kill('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
  watcher.start();
  await waitUntilReady(watcher, READY_TIMEOUT_MS);
}

beforeAll(async () => {
  namespace = uniqueNamespace('chdep');
  anvilPort = await freePort();
  anvil = await startAnvil({ port: anvilPort });
  token = await deployTestToken({ rpcUrl: anvil.url, symbol: 'USDT' });
  proxy = await startTcpFaultProxy({ host: '127.0.0.1', port: anvilPort });
  nc = await connect({ servers: TEST_NATS_URL });
  jsm = await jetstreamManager(nc, { timeout: 5_000 });
  client = createCommandClient(nc, { namespace, timeoutMs: 5_000 });
  chainSql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined, connection: { search_path: pgSchemaName(namespace, 'chain-watcher') } });
  ledgerSql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined, connection: { search_path: pgSchemaName(namespace, 'ledger') } });
  ledger = await startProcess('ledger', {});
  watcher = await startProcess('chain-watcher', {
    CHAIN_RPC_URL: `http://127.0.0.1:${proxy.port}`,
    CHAIN_ID: String(anvil.chainId),
    CHAIN_CONFIRMATIONS: String(CONFIRMATIONS),
    CHAIN_POLL_INTERVAL_MS: '200',
    CHAIN_HEALTH_INTERVAL_MS: '300',
    CHAIN_RPC_TIMEOUT_MS: '1000',
    // anvil mines only when asked: an idle test chain is not a stalled node.
    CHAIN_STALL_TIMEOUT_MS: '86400000',
    ...testChainWatcherEnv({ tokenAddress: token.address }),
  });
  flags = await watchFlags({ nc, namespace, logger: pino({ level: 'silent' }) });
}, 180_000);

afterAll(async () => {
  const failures: unknown[] = [];
  const step = async (work: () => Promise<unknown>) => void (await work().catch((error: unknown) => failures.push(error)));
  await step(async () => flags?.stop());
  await step(async () => watcher?.stop(10_000));
  await step(async () => ledger?.stop(10_000));
  await step(async () => proxy?.close());
  await step(async () => token?.close());
  await step(async () => anvil?.stop());
  for (const service of ['chain-watcher', 'ledger'] as const) await step(() => chainSql.unsafe(`drop schema if exists "${pgSchemaName(namespace, service)}" cascade`));
  await step(() => chainSql.end({ timeout: 5 }));
  await step(() => ledgerSql.end({ timeout: 5 }));
  await step(async () => {
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name);
    }
  });
  await step(() => nc.drain());
  if (failures.length > 0) throw failures[0];
}, 60_000);

describe('chain-watcher deposits (real processes)', () => {
  it('confirms at exactly the N-th confirmation and the ledger credits once, across two watcher restarts', async () => {
    const user = await newDepositor();
    const deposit = await token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 5n * USDT);
    await waitForCursor(deposit.blockNumber);
    // Restarted before the confirmation.
    await restartWatcher();

    // Confirmations 1 .. N-1: the cursor stands on the block, nothing confirmed, nothing credited.
    for (let confirmations = 2; confirmations < CONFIRMATIONS; confirmations += 1) await mine(1);
    expect((await head()) - deposit.blockNumber + 1).toBe(CONFIRMATIONS - 1);
    await waitForCursor(await head());
    expect(await confirmedInOutbox(deposit.txHash)).toEqual([]);
    expect(await available(user.userId)).toBe(0n);

    // The N-th confirmation.
    await mine(1);
    await waitFor(async () => (await available(user.userId)) === 5n * USDT, { timeoutMs: 20_000, intervalMs: 50, description: 'the ledger crediting the deposit' });
    const [confirmed] = await confirmedInOutbox(deposit.txHash);
    expect(confirmed?.event.data.confirmations).toBe(CONFIRMATIONS);
    expect(confirmed?.published_at).not.toBeNull();

    // Restarted after the confirmation, more blocks: nothing more is credited or published.
    await restartWatcher();
    await mine(CONFIRMATIONS);
    await waitForCursor(await head());
    expect(await available(user.userId)).toBe(5n * USDT);
    expect(await confirmedInOutbox(deposit.txHash)).toHaveLength(1);
    const credited = await ledgerSql`select state from deposits where tx_hash = ${deposit.txHash}`;
    expect(credited).toEqual([{ state: 'credited' }]);
    const stream = await jsm.streams.info(streamName(namespace, StreamBases.chain), { subjects_filter: eventSubject(namespace, depositConfirmedV1.type) });
    expect(stream.state.subjects?.[eventSubject(namespace, depositConfirmedV1.type)]).toBe(1);
  });

  it('a node outage: maintenance on, claims pending; after recovery every missed deposit credited once, range re-scanned, claim resolved, maintenance off', async () => {
    const user = await newDepositor();
    await waitForCursor(await head());
    const cursorBefore = await cursor();

    // The node goes away: its state is saved, the watcher's path cut, the process killed.
    const dump = (await anvilRpc('anvil_dumpState')) as string;
    proxy.cut();
    await anvil.stop();
    await waitFor(async () => flags.get(Flags.maintenance).on, { timeoutMs: 30_000, intervalMs: 100, description: 'maintenance switched on by the watcher' });
    expect(flags.get(Flags.maintenance).reason).toContain(`chain ${anvil.chainId}`);
    expect(flags.get(Flags.maintenance).setBy).toBe('chain-watcher');
    await waitFor(async () => (await chainSql`select status from node_status`)[0]?.['status'] === 'down', {
      timeoutMs: 10_000,
      intervalMs: 50,
      description: 'node status down recorded (and published)',
    });

    // The node comes back on its port from the dump, still unreachable for the watcher; deposits land meanwhile.
    anvil = await startAnvil({ port: anvilPort });
    await anvilRpc('anvil_loadState', [dump]);
    token.close();
    token = attachTestToken({ rpcUrl: anvil.url, address: token.address });
    const first = await token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 2n * USDT);
    const second = await token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 3n * USDT);
    await mine(CONFIRMATIONS);
    const claim = await client.call(claimDepositV1, { userId: user.userId, txHash: first.txHash });
    expect(claim.status).toBe('pending_network_recovery');
    const [stored] = await chainSql`select state from deposit_claims where tx_hash = ${first.txHash}`;
    expect(stored).toEqual({ state: 'pending_network_recovery' });
    expect(await available(user.userId)).toBe(0n);

    // The path is back: re-scan, credit, resolve, maintenance off.
    proxy.restore();
    await waitFor(async () => (await available(user.userId)) === 5n * USDT, { timeoutMs: 30_000, intervalMs: 100, description: 'both missed deposits credited' });
    await waitFor(async () => !flags.get(Flags.maintenance).on, { timeoutMs: 30_000, intervalMs: 100, description: 'maintenance switched off by the watcher' });
    const rescans = await chainSql<Array<{ event: { data: { fromBlock: number; toBlock: number; depositsFound: number; reason: string } } }>>`
      select event from outbox where event->>'type' = ${rangeRescannedV1.type} and event->'data'->>'reason' = 'node-recovery'`;
    expect(rescans).toHaveLength(1);
    expect(rescans[0]!.event.data).toMatchObject({ fromBlock: cursorBefore + 1, depositsFound: 2 });
    expect(rescans[0]!.event.data.toBlock).toBeGreaterThanOrEqual(second.blockNumber + CONFIRMATIONS - 1);
    const [up] = await chainSql`select status from node_status`;
    expect(up).toEqual({ status: 'up' });
    const [resolved] = await chainSql`select state, last_status from deposit_claims where tx_hash = ${first.txHash}`;
    expect(resolved).toEqual({ state: 'resolved', last_status: 'confirmed' });
    expect((await client.call(claimDepositV1, { userId: user.userId, txHash: first.txHash })).status).toBe('confirmed');
    const credits = await ledgerSql`select tx_hash from deposits where tx_hash in (${first.txHash}, ${second.txHash})`;
    expect(credits).toHaveLength(2);
    expect(await available(user.userId)).toBe(5n * USDT);
  });
});

