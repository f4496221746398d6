// Proves that a withdrawal leaves the hot wallet exactly once when the watcher process is killed
// with SIGKILL between storing the signed transaction and sending it, and again right after the
// node accepted it but before that was recorded. The watcher runs as a real child process
// (test/support/withdrawal-sender.main.ts: the service runtime with the withdrawal sender) against a
// private anvil mining a block a second, the loopback PostgreSQL and NATS; the test publishes
// `withdrawal approved` on the ledger stream as the ledger would. The crash is deterministic: the
// test-only CHAIN_WITHDRAWAL_TEST_CRASH_POINT (refused unless NODE_ENV=test) makes the process
// SIGKILL itself at that point. After each restart the chain is checked: the destination's token
// balance, the hot wallet's nonce, one attempt, and one `broadcast` … `confirmed` sequence. The hot
// wallet key reaches the process encrypted, through *_FILE secrets.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptHotWalletKey } from '@strongbox/chain-data-access';
import { eventSubject, pgSchemaName, withdrawalApprovedV1 } from '@strongbox/shared-contracts';
import { dropSchema } from '@strongbox/shared-db';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL, uniqueNamespace, waitFor } from '@strongbox/shared-testing';
import type { Wallet } from 'ethers';
import { approvedEvent, ASSET, deleteNamespaceStreams, enqueuedEvents, eventTrail, startChainFixture, type ChainFixture } from '../support/withdrawals.harness';

const MAIN = fileURLToPath(new URL('../support/withdrawal-sender.main.ts', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const WAIT_MS = 60_000;
const LOG_LINES_MAX = 400;

interface Watcher {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly lines: string[];
}

const namespace = uniqueNamespace('wcrash');
const schema = pgSchemaName(namespace, 'chain-watcher');
let chain: ChainFixture;
let nc: NatsConnection;
let sql: postgres.Sql;
let wallet: Wallet;
let secretsDir: string;
let opsPort: number;
let running: Watcher | undefined;
let encryptionKey: string;
/** Every line every watcher process of this file wrote, to check no secret ever appears. */
const allLines: string[] = [];

beforeAll(async () => {
  chain = await startChainFixture({ blockTimeS: 1 });
  wallet = await chain.fundedWallet(10_000_000n);
  nc = await connect({ servers: TEST_NATS_URL });
  sql = postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 5, onnotice: () => undefined, connection: { search_path: schema } });
  secretsDir = mkdtempSync(join(tmpdir(), 'withdrawal-secrets-'));
  encryptionKey = randomBytes(32).toString('hex');
  writeFileSync(join(secretsDir, 'hot-wallet.key'), `${encryptHotWalletKey(wallet.privateKey, encryptionKey)}\n`, { mode: 0o600 });
  writeFileSync(join(secretsDir, 'hot-wallet.encryption-key'), `${encryptionKey}\n`, { mode: 0o600 });
  opsPort = await freePort();
});

afterAll(async () => {
  if (running) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  await nc?.close();
  await sql?.unsafe(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
  await sql?.end({ timeout: 5 });
  await dropSchema(TEST_DATABASE_URL, schema).catch(() => undefined);
  await deleteNamespaceStreams(namespace);
  await chain?.stop();
  if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
});

/** The deposit side's token list, which the sender reads its asset → contract from. */
function depositTokens(): string {
  return JSON.stringify([{ asset: ASSET, decimals: 6, dustMinimumMinor: '0', contracts: [{ address: chain.token.address, fromBlock: 0, toBlock: null }] }]);
}

function startWatcher(crashPoint?: 'after-persist' | 'after-broadcast'): Watcher {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'test',
      STRONGBOX_NAMESPACE: namespace,
      LOG_LEVEL: 'info',
      OPS_HOST: '127.0.0.1',
      OPS_PORT: String(opsPort),
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: TEST_DATABASE_URL,
      CHAIN_RPC_URL: chain.anvil.url,
      CHAIN_ID: String(chain.anvil.chainId),
      CHAIN_HOT_WALLET_PRIVATE_KEY_FILE: join(secretsDir, 'hot-wallet.key'),
      CHAIN_HOT_WALLET_ENCRYPTION_KEY_FILE: join(secretsDir, 'hot-wallet.encryption-key'),
      CHAIN_DEPOSIT_TOKENS: depositTokens(),
      CHAIN_WITHDRAWAL_CONFIRMATIONS: '2',
      CHAIN_WITHDRAWAL_POLL_INTERVAL_MS: '200',
      ...(crashPoint ? { CHAIN_WITHDRAWAL_TEST_CRASH_POINT: crashPoint } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.length === 0) continue;
      lines.push(line);
      allLines.push(line);
      if (lines.length > LOG_LINES_MAX) lines.shift();
      if (process.env['TEST_VERBOSE']) console.log(`[watcher] ${line}`);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  running = { child, exited, lines };
  return running;
}

async function waitReady(watcher: Watcher): Promise<void> {
  await waitFor(
    async () => {
      if (watcher.child.exitCode !== null || watcher.child.signalCode !== null) throw new Error(`watcher exited early:\n${watcher.lines.join('\n')}`);
      const response = await fetch(`http://127.0.0.1:${opsPort}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, description: 'watcher /readyz 200' },
  );
}

async function stopWatcher(watcher: Watcher): Promise<void> {
  watcher.child.kill('SIGTERM');
  const exit = await watcher.exited;
  expect(exit.code, watcher.lines.join('\n')).toBe(0);
  running = undefined;
}

async function publishApproved(event: ReturnType<typeof approvedEvent>): Promise<void> {
  const js = jetstream(nc, { timeout: 5_000 });
  await js.publish(eventSubject(namespace, withdrawalApprovedV1.type), JSON.stringify(event), { msgID: event.id });
}

async function stored(withdrawalId: string) {
  const [row] = await sql<Array<{ state: string; nonce: string }>>`select state, nonce::text from withdrawals where withdrawal_id = ${withdrawalId}`;
  const attempts = await sql<Array<{ attempt: number; tx_hash: string; broadcast_at: Date | null }>>`
    select attempt, tx_hash, broadcast_at from withdrawal_attempts where withdrawal_id = ${withdrawalId} order by attempt`;
  return { row, attempts };
}

async function crashedAt(watcher: Watcher): Promise<void> {
  const exit = await watcher.exited;
  running = undefined;
  expect(exit.signal, watcher.lines.slice(-30).join('\n')).toBe('SIGKILL');
}

async function confirmedAfterRestart(withdrawalId: string) {
  const watcher = startWatcher();
  await waitReady(watcher);
  const result = await waitFor(
    async () => {
      const { row, attempts } = await stored(withdrawalId);
      const events = await enqueuedEvents(sql, withdrawalId);
      return row?.state === 'confirmed' ? { row, attempts, events } : undefined;
    },
    { timeoutMs: WAIT_MS, intervalMs: 200, description: `withdrawal ${withdrawalId} confirmed after the restart` },
  );
  // Published, not only enqueued: the outbox relay has sent every row.
  await waitFor(async () => {
    const [pending] = await sql<Array<{ count: number }>>`select count(*)::int as count from outbox where published_at is null`;
    return pending?.count === 0 ? true : undefined;
  }, { timeoutMs: WAIT_MS, description: 'outbox drained' });
  await stopWatcher(watcher);
  return result;
}

describe('a watcher killed mid-withdrawal', () => {
  it('killed after storing the signed transaction and before sending it: the restart sends the same transaction, once', async () => {
    const watcher = startWatcher('after-persist');
    await waitReady(watcher);
    const event = approvedEvent({ amount: 2_000_000n });
    await publishApproved(event);
    await crashedAt(watcher);

    // Stored with its nonce, never sent: the node has nothing from the hot wallet.
    const before = await stored(event.data.withdrawalId);
    expect(before.row).toEqual({ state: 'signed', nonce: '0' });
    expect(before.attempts).toHaveLength(1);
    expect(before.attempts[0]!.broadcast_at).toBeNull();
    expect(await chain.pendingFrom(wallet.address)).toEqual([]);
    expect(await chain.minedNonce(wallet.address)).toBe(0);

    const after = await confirmedAfterRestart(event.data.withdrawalId);
    expect(after.attempts.map((attempt) => attempt.tx_hash)).toEqual([before.attempts[0]!.tx_hash]);
    expect(eventTrail(after.events)).toEqual(['broadcast#1', 'confirmed']);
    expect(after.events[1]!.data['txHash']).toBe(before.attempts[0]!.tx_hash);
    expect(await chain.tokenBalance(event.data.toAddress)).toBe(2_000_000n);
    expect(await chain.minedNonce(wallet.address)).toBe(1);
  });

  it('killed right after the node accepted the transaction: the restart finds it sent or mined and announces it once', async () => {
    const nonceBefore = await chain.minedNonce(wallet.address);
    const balanceBefore = await chain.tokenBalance(wallet.address);
    const watcher = startWatcher('after-broadcast');
    await waitReady(watcher);
    const event = approvedEvent({ amount: 3_000_000n });
    await publishApproved(event);
    await crashedAt(watcher);

    // Sent, but the process died before recording it: no `broadcast` yet.
    const before = await stored(event.data.withdrawalId);
    expect(before.row).toEqual({ state: 'signed', nonce: String(nonceBefore) });
    expect(before.attempts[0]!.broadcast_at).toBeNull();
    expect(await enqueuedEvents(sql, event.data.withdrawalId)).toEqual([]);
    const hash = before.attempts[0]!.tx_hash;
    const onChain = (await chain.pendingFrom(wallet.address)).includes(hash) || (await chain.token.provider.getTransactionReceipt(hash)) !== null;
    expect(onChain).toBe(true);

    const after = await confirmedAfterRestart(event.data.withdrawalId);
    expect(after.attempts.map((attempt) => attempt.tx_hash)).toEqual([hash]);
    expect(eventTrail(after.events)).toEqual(['broadcast#1', 'confirmed']);
    expect(await chain.tokenBalance(event.data.toAddress)).toBe(3_000_000n);
    expect(await chain.minedNonce(wallet.address)).toBe(nonceBefore + 1);
    expect(await chain.tokenBalance(wallet.address)).toBe(balanceBefore - 3_000_000n);
  });

  it('never writes the hot wallet key or its encryption key to the log', () => {
    expect(allLines.length).toBeGreaterThan(10);
    const log = allLines.join('\n').toLowerCase();
    // The start line names the hot wallet (its address, masked like every address in logs).
    expect(log).toContain('withdrawal sender starting');
    for (const secret of [wallet.privateKey.slice(2), encryptionKey]) expect(log).not.toContain(secret.toLowerCase());
  });

  it('refuses the crash hook outside tests', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        STRONGBOX_NAMESPACE: namespace,
        OPS_HOST: '127.0.0.1',
        OPS_PORT: String(await freePort()),
        NATS_URL: TEST_NATS_URL,
        DATABASE_URL: TEST_DATABASE_URL,
        CHAIN_RPC_URL: chain.anvil.url,
        CHAIN_ID: String(chain.anvil.chainId),
        CHAIN_HOT_WALLET_PRIVATE_KEY_FILE: join(secretsDir, 'hot-wallet.key'),
        CHAIN_HOT_WALLET_ENCRYPTION_KEY_FILE: join(secretsDir, 'hot-wallet.encryption-key'),
        CHAIN_DEPOSIT_TOKENS: depositTokens(),
        CHAIN_WITHDRAWAL_TEST_CRASH_POINT: 'after-persist',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
    expect(output).toMatch(/CHAIN_WITHDRAWAL_TEST_CRASH_POINT is a test hook/);
  });
});
