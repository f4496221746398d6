import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { HDNodeWallet, Wallet } from 'ethers';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { depositConfirmedV1, eventSubject, pgSchemaName } from '@strongbox/shared-contracts';
import { migrate } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import {
  ANVIL_SECOND_PRIVATE_KEY,
  createServiceProcess,
  deployTestToken,
  startAnvil,
  testChainWatcherEnv,
  testDepositXpub,
  waitUntilReady,
  type AnvilNode,
  type ServiceProcess,
} from '@strongbox/shared-stack';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL, uniqueNamespace } from '@strongbox/shared-testing';
import { buildService } from './build-service';

// ---------------------------------------------------------------------------------------------
// `npm run bench -- chain`: the chain-watcher's deposit scanner, as the built process. A private
// anvil gets the test token and a history of `--blocks` blocks holding `--deposits` deposits to
// `--addresses` deposit addresses; the watcher then starts from block 0 and re-scans it all
// (rescan_blocks_per_s, deposits_per_s: until every deposit's `confirmed` event is published).
// Then, caught up and polling every `--poll-ms`, it is timed from the block that gives a deposit its
// N-th confirmation to the `confirmed` event arriving on NATS (detect_to_confirm_event_ms_*).
// ---------------------------------------------------------------------------------------------

const BLOCKS_MAX = 1_000_000;
const DEPOSITS_MAX = 100_000;
const ADDRESSES_MAX = 10_000;
const SAMPLES_MAX = 1_000;
const READY_TIMEOUT_MS = 60_000;
const RESCAN_TIMEOUT_MS = 10 * 60_000;
const SAMPLE_TIMEOUT_MS = 30_000;
const POLL_MS = 20;
const TRANSFER_GAS_LIMIT = 100_000n;

export interface ChainBenchOptions {
  readonly blocks: number;
  readonly deposits: number;
  readonly addresses: number;
  readonly confirmations: number;
  readonly pollMs: number;
  readonly samples: number;
  readonly scanBlocksMax: number;
  /** Whether the watcher gets CHAIN_WS_URL and so wakes on each new head (default), or only polls. */
  readonly newHeads: boolean;
}

export function parseChainBenchArgs(argv: readonly string[]): ChainBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      blocks: { type: 'string', default: '10000' },
      deposits: { type: 'string', default: '1000' },
      addresses: { type: 'string', default: '100' },
      confirmations: { type: 'string', default: '12' },
      'poll-ms': { type: 'string', default: '1000' },
      samples: { type: 'string', default: '40' },
      'scan-blocks': { type: 'string', default: '1000' },
      'no-new-heads': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const integer = (name: string, value: string, min: number, max: number) => {
    if (!/^[0-9]+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${value}`);
    const parsed = Number(value);
    if (parsed < min || parsed > max) throw new Error(`--${name} must be in [${min}, ${max}], got ${parsed}`);
    return parsed;
  };
  const blocks = integer('blocks', values.blocks, 10, BLOCKS_MAX);
  const deposits = integer('deposits', values.deposits, 1, DEPOSITS_MAX);
  if (deposits > blocks) throw new Error('--deposits may not exceed --blocks (one deposit per block at most)');
  return {
    blocks,
    deposits,
    addresses: integer('addresses', values.addresses, 1, ADDRESSES_MAX),
    confirmations: integer('confirmations', values.confirmations, 1, 100),
    pollMs: integer('poll-ms', values['poll-ms'], 100, 60_000),
    samples: integer('samples', values.samples, 1, SAMPLES_MAX),
    scanBlocksMax: integer('scan-blocks', values['scan-blocks'], 1, 10_000),
    newHeads: !values['no-new-heads'],
  };
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function runChainBench(root: string, options: ChainBenchOptions): Promise<void> {
  const namespace = uniqueNamespace('benchch');
  const schema = pgSchemaName(namespace, 'chain-watcher');
  const distDir = join(root, 'dist', 'apps');
  let anvil: AnvilNode | undefined;
  let watcher: ServiceProcess | undefined;
  let nc: NatsConnection | undefined;
  const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => undefined, connection: { search_path: schema } });
  try {
    log('building the chain-watcher bundle…');
    await buildService(root, 'chain-watcher');
    const node = await startAnvil({ port: await freePort() });
    anvil = node;
    const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
      const response = await fetch(node.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
        signal: AbortSignal.timeout(60_000),
      });
      const body = (await response.json()) as { result?: unknown; error?: { message: string } };
      if (body.error) throw new Error(`${method}: ${body.error.message}`);
      return body.result;
    };
    const head = async () => Number.parseInt((await rpc('eth_blockNumber')) as string, 16);
    const token = await deployTestToken({ rpcUrl: node.url, symbol: 'USDT' });

    // The schema and the deposit addresses, as the watcher would have assigned them.
    await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: join(distDir, 'chain-watcher', 'migrations'), lockTimeoutMs: 30_000 });
    const xpub = HDNodeWallet.fromExtendedKey(testDepositXpub());
    const addresses: string[] = [];
    for (let index = 0; index < options.addresses; index += 1) addresses.push(xpub.deriveChild(index).address.toLowerCase());
    const addressOf = (index: number): string => addresses[index % addresses.length] ?? '';
    const rows = addresses.map((address, index) => ({ user_id: newId(), chain_id: node.chainId, address, derivation_index: index, assigned_at: new Date() }));
    await sql`insert into deposit_addresses ${sql(rows)}`;
    await sql`insert into deposit_address_counters (chain_id, next_index) values (${node.chainId}, ${options.addresses})`;

    // The history: one deposit every blocks/deposits blocks, signed locally with explicit nonces.
    log(`making ${options.deposits} deposits over ${options.blocks} blocks…`);
    const sender = new Wallet(ANVIL_SECOND_PRIVATE_KEY, token.provider);
    await token.mint(sender.address, BigInt(options.deposits + options.samples) * 2_000_000n);
    const feeData = await token.provider.getFeeData();
    let nonce = await token.provider.getTransactionCount(sender.address, 'pending');
    const transfer = async (to: string, amount: bigint): Promise<string> => {
      const data = token.contract.interface.encodeFunctionData('transfer', [to, amount]);
      const signed = await sender.signTransaction({
        to: token.address,
        data,
        nonce,
        gasLimit: TRANSFER_GAS_LIMIT,
        maxFeePerGas: feeData.maxFeePerGas,
        maxPriorityFeePerGas: feeData.maxPriorityFeePerGas,
        chainId: node.chainId,
        type: 2,
      });
      nonce += 1;
      return (await rpc('eth_sendRawTransaction', [signed])) as string;
    };
    const stride = Math.floor(options.blocks / options.deposits);
    for (let deposit = 0; deposit < options.deposits; deposit += 1) {
      await transfer(addressOf(deposit), 1_000_000n + BigInt(deposit));
      if (stride > 1) await rpc('anvil_mine', [`0x${(stride - 1).toString(16)}`]);
    }
    const historyHead = await head();
    log(`history ready: head ${historyHead}`);

    nc = await connect({ servers: TEST_NATS_URL });
    const confirmedSubject = eventSubject(namespace, depositConfirmedV1.type);
    const arrivals = new Map<string, number>();
    const subscription = nc.subscribe(confirmedSubject, {
      callback: (_error, message) => {
        try {
          const event = JSON.parse(message.string()) as { data: { txHash: string } };
          arrivals.set(event.data.txHash, performance.now());
        } catch {
          /* not ours */
        }
      },
    });

    // Re-scan: from the watcher's first block to the head, every deposit confirmed and published.
    watcher = createServiceProcess({
      name: 'chain-watcher',
      distDir,
      opsPort: await freePort(),
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        STRONGBOX_NAMESPACE: namespace,
        LOG_LEVEL: 'warn',
        NATS_URL: TEST_NATS_URL,
        DATABASE_URL: TEST_DATABASE_URL,
        CHAIN_RPC_URL: node.url,
        CHAIN_ID: String(node.chainId),
        CHAIN_CONFIRMATIONS: String(options.confirmations),
        CHAIN_POLL_INTERVAL_MS: String(options.pollMs),
        // anvil serves WebSocket on its JSON-RPC port; the scanner then wakes on each new head.
        ...(options.newHeads ? { CHAIN_WS_URL: node.url.replace(/^http/, 'ws') } : {}),
        CHAIN_SCAN_BLOCKS_MAX: String(options.scanBlocksMax),
        CHAIN_STALL_TIMEOUT_MS: '86400000',
        ...testChainWatcherEnv({ tokenAddress: token.address }),
      },
    });
    watcher.start();
    const cursor = async () => Number((await sql<Array<{ block_number: string }>>`select block_number::text from scan_cursors`)[0]?.block_number ?? -1);
    // Timed from the first committed range to the head, so the process's start does not count;
    // the blocks of that first range are left out of the rate accordingly.
    const firstCursor = await until('the first scanned range', RESCAN_TIMEOUT_MS, async () => {
      const block = await cursor();
      return block >= 0 ? block : undefined;
    });
    const startedAtMs = performance.now();
    await until('the re-scan to reach the head', RESCAN_TIMEOUT_MS, async () => ((await cursor()) >= historyHead ? true : undefined));
    const scannedAtMs = performance.now();
    const expected = options.deposits - Math.ceil(Math.max(0, options.confirmations - 1) / Math.max(stride, 1));
    await until('every confirmed event published', RESCAN_TIMEOUT_MS, async () => {
      const [row] = await sql<Array<{ published: string }>>`
        select count(*)::text as published from outbox where event->>'type' = ${depositConfirmedV1.type} and published_at is not null`;
      return Number(row?.published ?? 0) >= expected ? true : undefined;
    });
    const publishedAtMs = performance.now();
    await waitUntilReady(watcher, READY_TIMEOUT_MS);
    const [counts] = await sql<Array<{ detected: string; confirmed: string }>>`
      select count(*)::text as detected, count(*) filter (where state = 'confirmed')::text as confirmed from deposits`;
    const rescanSeconds = (scannedAtMs - startedAtMs) / 1_000;
    const rescanBlocksPerS = (historyHead - firstCursor) / rescanSeconds;
    const [early] = await sql<Array<{ deposits: string }>>`select count(*)::text as deposits from deposits where block_number <= ${firstCursor}`;
    const depositsPerS = (Number(counts?.detected ?? 0) - Number(early?.deposits ?? 0)) / ((publishedAtMs - startedAtMs) / 1_000);
    log(`re-scan: blocks ${firstCursor + 1}..${historyHead} in ${rescanSeconds.toFixed(2)} s; ${counts?.detected} deposits, ${counts?.confirmed} confirmed`);

    // Latency: deposit, N-1 confirmations, then the N-th block at a random moment of the poll cycle.
    log(`timing ${options.samples} confirmations at a ${options.pollMs} ms poll interval…`);
    const latencies: number[] = [];
    for (let sample = 0; sample < options.samples; sample += 1) {
      // anvil mines the transfer into a block of its own (its first confirmation), a moment after accepting it.
      const txHash = (await transfer(addressOf(sample), 1_500_000n)).toLowerCase();
      await until(`the sample ${sample} transfer mined`, SAMPLE_TIMEOUT_MS, async () => {
        const receipt = (await rpc('eth_getTransactionReceipt', [txHash])) as { blockNumber: string } | null;
        return receipt ? Number.parseInt(receipt.blockNumber, 16) : undefined;
      });
      if (options.confirmations > 2) await rpc('anvil_mine', [`0x${(options.confirmations - 2).toString(16)}`]);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * options.pollMs));
      if (options.confirmations > 1) await rpc('evm_mine');
      const minedAtMs = performance.now();
      const arrivedAtMs = await until(`the confirmed event of sample ${sample}`, SAMPLE_TIMEOUT_MS, async () => arrivals.get(txHash));
      latencies.push(arrivedAtMs - minedAtMs);
    }
    subscription.unsubscribe();
    latencies.sort((a, b) => a - b);
    const result = {
      rescan_blocks: historyHead,
      rescan_deposits: Number(counts?.detected ?? 0),
      rescan_seconds: Math.round(rescanSeconds * 1_000) / 1_000,
      rescan_blocks_per_s: Math.round(rescanBlocksPerS),
      deposits_per_s: Math.round(depositsPerS),
      detect_to_confirm_event_ms_p50: Math.round(percentile(latencies, 0.5)),
      detect_to_confirm_event_ms_p99: Math.round(percentile(latencies, 0.99)),
      detect_to_confirm_event_ms_max: Math.round(latencies[latencies.length - 1] ?? Number.NaN),
      samples: latencies.length,
      poll_interval_ms: options.pollMs,
      new_heads: options.newHeads,
      confirmations: options.confirmations,
      scan_blocks_max: options.scanBlocksMax,
    };
    process.stdout.write(
      [
        `re-scan      ${result.rescan_blocks} blocks, ${result.rescan_deposits} deposits in ${result.rescan_seconds} s: ${result.rescan_blocks_per_s} blocks/s, ${result.deposits_per_s} deposits/s`,
        `confirmation N=${options.confirmations}, poll ${options.pollMs} ms: p50 ${result.detect_to_confirm_event_ms_p50} ms, p99 ${result.detect_to_confirm_event_ms_p99} ms, max ${result.detect_to_confirm_event_ms_max} ms (${result.samples} samples)`,
        JSON.stringify(result),
        '',
      ].join('\n'),
    );
    token.close();
  } finally {
    await watcher?.stop(15_000).catch(() => undefined);
    await anvil?.stop().catch(() => undefined);
    await sql.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await sql.end({ timeout: 5 }).catch(() => undefined);
    // The namespace's streams and the streams behind its KV buckets, whatever step failed.
    const cleanup = nc ?? (await connect({ servers: TEST_NATS_URL }).catch(() => undefined));
    if (cleanup) {
      const jsm = await jetstreamManager(cleanup);
      for await (const name of jsm.streams.names()) {
        if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name).catch(() => false);
      }
      await cleanup.close();
    }
  }
}
