// Proves the withdrawal sender in-process against a private anvil (the test ERC-20 compiled from
// source), the loopback PostgreSQL (a fresh chain-watcher schema) and the loopback NATS (the real
// flags bucket): a withdrawal is confirmed only once it has the configured confirmations; a reverted
// transfer becomes `failed: reverted`; a stuck transaction is replaced under the same nonce with a
// higher fee and only one attempt lands; under the emergency stop nothing reaches the node until the
// flag is cleared; two approvals handled at once get different nonces and both land; what cannot be
// built (unknown asset, bad address, too little token) is `failed: rejected` without using a nonce;
// a nonce taken by a foreign transaction is `failed: dropped`; anvil's answers to a re-sent
// transaction ("already known", "nonce too low") are taken as success paths; a hung node (fault
// proxy) fails an approval within the time limit without storing anything, and the retry after
// recovery sends it once. Each check reads the chain itself
// (balances, nonces, anvil's mempool) and the events the sender enqueued.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Wallet } from 'ethers';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWithdrawalRpc, type WithdrawalRpc } from '@strongbox/chain-data-access';
import { loadHotWallet } from '@strongbox/chain-data-access';
import { Flags, setFlag, watchFlags, type FlagWatcher } from '@strongbox/shared-messaging';
import { startTcpFaultProxy, TEST_NATS_URL, uniqueNamespace, waitFor } from '@strongbox/shared-testing';
import { createWithdrawalSender, type WithdrawalSender, type WithdrawalSenderSettings } from '../../src/index';
import {
  ASSET,
  approvedEvent,
  deleteNamespaceStreams,
  enqueuedEvents,
  eventTrail,
  freshChainSchema,
  setTransfersPaused,
  startChainFixture,
  type ChainFixture,
  type ChainSchemaFixture,
} from '../support/withdrawals.harness';

const CONFIRMATIONS = 3;
const WAIT_MS = 20_000;
const logger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

let chain: ChainFixture;
let db: ChainSchemaFixture;
let nc: NatsConnection;
let flags: FlagWatcher;
let rpc: WithdrawalRpc;
const namespace = uniqueNamespace('wsend');

beforeAll(async () => {
  chain = await startChainFixture();
  db = await freshChainSchema(namespace);
  nc = await connect({ servers: TEST_NATS_URL });
  flags = await watchFlags({ nc, namespace, logger });
  rpc = createWithdrawalRpc({ rpcUrl: chain.anvil.url, chainId: chain.anvil.chainId, requestTimeoutMs: 5_000 });
});

afterEach(async () => {
  // A test that failed half-way must not leave the next one with manual mining.
  await chain.setAutomine(true);
});

afterAll(async () => {
  rpc?.close();
  await flags?.stop();
  await nc?.close();
  await db?.dispose();
  await deleteNamespaceStreams(namespace);
  await chain?.stop();
});

function settings(overrides: Partial<WithdrawalSenderSettings> = {}): WithdrawalSenderSettings {
  return {
    chainId: chain.anvil.chainId,
    tokens: [{ asset: ASSET, contract: chain.token.address, decimals: 6 }],
    confirmations: CONFIRMATIONS,
    pollIntervalMs: 100,
    stuckAfterMs: 60_000,
    feeBumpPercent: 25,
    maxFeePerGasWei: 500_000_000_000n,
    attemptsMax: 5,
    gasLimit: 100_000,
    ...overrides,
  };
}

function senderFor(wallet: Wallet, overrides: Partial<WithdrawalSenderSettings> = {}): WithdrawalSender {
  return createWithdrawalSender({
    database: db.database,
    namespace,
    logger,
    rpc,
    wallet: loadHotWallet({ key: wallet.privateKey }),
    flags,
    settings: settings(overrides),
    crash: (point) => {
      throw new Error(`unexpected crash point ${point}`);
    },
  });
}

async function withdrawalRow(withdrawalId: string) {
  const [row] = await db.sql<Array<{ state: string; nonce: string | null; failure_reason: string | null; final_tx_hash: string | null }>>`
    select state, nonce::text, failure_reason, final_tx_hash from withdrawals where withdrawal_id = ${withdrawalId}`;
  return row;
}

async function attemptsOf(withdrawalId: string) {
  return db.sql<Array<{ attempt: number; tx_hash: string; max_fee_per_gas_wei: string; broadcast_at: Date | null }>>`
    select attempt, tx_hash, max_fee_per_gas_wei::text, broadcast_at from withdrawal_attempts where withdrawal_id = ${withdrawalId} order by attempt`;
}

/** Runs passes until the withdrawal has an outcome; mines a block between passes when asked. */
async function passUntilDecided(sender: WithdrawalSender, withdrawalId: string, options: { mine: boolean }) {
  return waitFor(
    async () => {
      await sender.pass();
      const row = await withdrawalRow(withdrawalId);
      if (row && (row.state === 'confirmed' || row.state === 'failed')) return row;
      if (options.mine) await chain.mine(1);
      return undefined;
    },
    { timeoutMs: WAIT_MS, intervalMs: 50, description: `withdrawal ${withdrawalId} decided` },
  );
}

describe('confirmations', () => {
  it('publishes confirmed only once the transaction has the configured confirmations', async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const sender = senderFor(wallet);
    const event = approvedEvent({ amount: 1_250_000n });
    const to = event.data.toAddress;

    await chain.setAutomine(false);
    expect(await sender.handleApproved(event)).toBe('signed');
    const [attempt] = await attemptsOf(event.data.withdrawalId);
    expect(await chain.pendingFrom(wallet.address)).toEqual([attempt!.tx_hash]);
    expect(eventTrail(await enqueuedEvents(db.sql, event.data.withdrawalId))).toEqual(['broadcast#1']);

    // Mined in one block, then CONFIRMATIONS - 1 more blocks are needed; every pass before that waits.
    await chain.mine(1);
    for (let block = 1; block < CONFIRMATIONS; block += 1) {
      await sender.pass();
      expect((await withdrawalRow(event.data.withdrawalId))?.state).toBe('broadcast');
      await chain.mine(1);
    }
    await sender.pass();
    const row = await withdrawalRow(event.data.withdrawalId);
    expect(row).toMatchObject({ state: 'confirmed', final_tx_hash: attempt!.tx_hash, nonce: '0' });

    const events = await enqueuedEvents(db.sql, event.data.withdrawalId);
    expect(eventTrail(events)).toEqual(['broadcast#1', 'confirmed']);
    expect(events[1]!.data).toMatchObject({ txHash: attempt!.tx_hash, confirmations: CONFIRMATIONS });
    expect(await chain.tokenBalance(to)).toBe(1_250_000n);
    expect(await chain.tokenBalance(wallet.address)).toBe(3_750_000n);
    expect(await chain.minedNonce(wallet.address)).toBe(1);

    // A redelivered approval changes nothing.
    expect(await sender.handleApproved(event)).toBe('duplicate');
    await sender.pass();
    expect(eventTrail(await enqueuedEvents(db.sql, event.data.withdrawalId))).toEqual(['broadcast#1', 'confirmed']);
  });
});

describe('re-sending', () => {
  it("takes anvil's answers to a re-sent transaction as success paths: already known while pending, nonce used once mined", async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const sender = senderFor(wallet);
    const event = approvedEvent({ amount: 10_000n });
    await chain.setAutomine(false);
    expect(await sender.handleApproved(event)).toBe('signed');
    const [row] = await db.sql<Array<{ raw_transaction: string }>>`select raw_transaction from withdrawal_attempts where withdrawal_id = ${event.data.withdrawalId}`;
    expect(await rpc.sendRawTransaction(row!.raw_transaction)).toBe('already-known');
    await chain.mine(1);
    expect(await rpc.sendRawTransaction(row!.raw_transaction)).toBe('nonce-used');
    expect(await passUntilDecided(sender, event.data.withdrawalId, { mine: true })).toMatchObject({ state: 'confirmed' });
    expect(eventTrail(await enqueuedEvents(db.sql, event.data.withdrawalId))).toEqual(['broadcast#1', 'confirmed']);
    expect(await chain.minedNonce(wallet.address)).toBe(1);
  });
});

describe('node failures', () => {
  it('a hung node fails the approval within the time limit and stores nothing; the redelivery after recovery sends it once', async () => {
    const proxy = await startTcpFaultProxy({ host: '127.0.0.1', port: chain.anvil.port });
    const proxiedRpc = createWithdrawalRpc({ rpcUrl: `http://127.0.0.1:${proxy.port}`, chainId: chain.anvil.chainId, requestTimeoutMs: 1_000 });
    try {
      const wallet = await chain.fundedWallet(5_000_000n);
      const sender = createWithdrawalSender({
        database: db.database,
        namespace,
        logger,
        rpc: proxiedRpc,
        wallet: loadHotWallet({ key: wallet.privateKey }),
        flags,
        settings: settings(),
      });
      const event = approvedEvent({ amount: 50_000n });
      proxy.stall();
      const startedAtMs = Date.now();
      await expect(sender.handleApproved(event)).rejects.toMatchObject({ code: 'CHAIN_ERR_RPC_FAILED' });
      // Bounded by the per-call time limit, not hanging with the node.
      expect(Date.now() - startedAtMs).toBeLessThan(5_000);
      expect(await withdrawalRow(event.data.withdrawalId)).toBeUndefined();
      const [inbox] = await db.sql<Array<{ count: number }>>`select count(*)::int as count from inbox where event_id = ${event.id}`;
      expect(inbox?.count).toBe(0);

      proxy.restore();
      expect(await sender.handleApproved(event)).toBe('signed');
      expect((await withdrawalRow(event.data.withdrawalId))?.nonce).toBe('0');
      // The watch loop's pass fails (bounded) while the node hangs, and decides once it is back.
      proxy.stall();
      await expect(sender.pass()).rejects.toMatchObject({ code: 'CHAIN_ERR_RPC_FAILED' });
      proxy.restore();
      expect(await passUntilDecided(sender, event.data.withdrawalId, { mine: true })).toMatchObject({ state: 'confirmed' });
      expect(await chain.minedNonce(wallet.address)).toBe(1);
      expect(await chain.tokenBalance(event.data.toAddress)).toBe(50_000n);
    } finally {
      proxiedRpc.close();
      await proxy.close();
    }
  });
});

describe('reverted', () => {
  it('turns a reverted transfer into failed: reverted with its tx hash, after the confirmations', async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const sender = senderFor(wallet);
    const event = approvedEvent({ amount: 1_000_000n });
    await setTransfersPaused(chain.token, true);
    try {
      expect(await sender.handleApproved(event)).toBe('signed');
      const row = await passUntilDecided(sender, event.data.withdrawalId, { mine: true });
      const [attempt] = await attemptsOf(event.data.withdrawalId);
      expect(row).toMatchObject({ state: 'failed', failure_reason: 'reverted', final_tx_hash: attempt!.tx_hash });
      const events = await enqueuedEvents(db.sql, event.data.withdrawalId);
      expect(eventTrail(events)).toEqual(['broadcast#1', 'failed:reverted']);
      expect(events[1]!.data['txHash']).toBe(attempt!.tx_hash);
      // The nonce was used (mined, reverted); the tokens did not move.
      expect(await chain.minedNonce(wallet.address)).toBe(1);
      expect(await chain.tokenBalance(event.data.toAddress)).toBe(0n);
      expect(await chain.tokenBalance(wallet.address)).toBe(5_000_000n);
    } finally {
      await setTransfersPaused(chain.token, false);
    }
  });
});

describe('stuck transactions', () => {
  it('replaces a stuck transaction under the same nonce with a higher fee; only one attempt lands', async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const sender = senderFor(wallet, { stuckAfterMs: 300 });
    const event = approvedEvent({ amount: 2_000_000n });
    const id = event.data.withdrawalId;

    await chain.setAutomine(false);
    expect(await sender.handleApproved(event)).toBe('signed');
    const [first] = await attemptsOf(id);
    expect(first!.broadcast_at).not.toBeNull();

    // Not yet stuck: nothing changes.
    expect(await sender.pass()).toMatchObject({ replaced: 0 });
    const replaced = await waitFor(
      async () => {
        await sender.pass();
        const attempts = await attemptsOf(id);
        return attempts.length >= 2 ? attempts : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 100, description: 'a replacement attempt' },
    );
    const second = replaced[1]!;
    expect(second.tx_hash).not.toBe(first!.tx_hash);
    // At least the node's 10 % replacement rule; the sender bumps by 25 %.
    expect(BigInt(second.max_fee_per_gas_wei) * 100n).toBeGreaterThanOrEqual(BigInt(first!.max_fee_per_gas_wei) * 125n);
    // The node holds only the replacement under that nonce.
    expect(await chain.pendingFrom(wallet.address)).toEqual([second.tx_hash]);

    await chain.mine(1);
    const row = await passUntilDecided(sender, id, { mine: true });
    expect(row).toMatchObject({ state: 'confirmed', final_tx_hash: second.tx_hash, nonce: '0' });
    expect(await chain.token.provider.getTransactionReceipt(first!.tx_hash)).toBeNull();
    expect(await chain.minedNonce(wallet.address)).toBe(1);
    expect(await chain.tokenBalance(event.data.toAddress)).toBe(2_000_000n);
    const events = await enqueuedEvents(db.sql, id);
    expect(eventTrail(events)).toEqual(['broadcast#1', 'broadcast#2', 'confirmed']);
    expect(events.map((e) => e.data['nonce'] ?? null).slice(0, 2)).toEqual([0, 0]);
    expect(events[2]!.data['txHash']).toBe(second.tx_hash);
  });

  it('never offers more than the configured maximum fee: at the cap it re-sends the last attempt instead', async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const quote = await rpc.feeQuote();
    // The first attempt already sits at the cap, so no replacement can satisfy the node's rule.
    const sender = senderFor(wallet, { stuckAfterMs: 200, maxFeePerGasWei: quote.maxFeePerGasWei });
    const event = approvedEvent({ amount: 1_000n });
    await chain.setAutomine(false);
    expect(await sender.handleApproved(event)).toBe('signed');
    await waitFor(async () => ((await sender.pass()).sent > 0 ? true : undefined), { timeoutMs: WAIT_MS, intervalMs: 100, description: 'a re-send at the fee cap' });
    const attempts = await attemptsOf(event.data.withdrawalId);
    expect(attempts).toHaveLength(1);
    expect(BigInt(attempts[0]!.max_fee_per_gas_wei)).toBeLessThanOrEqual(quote.maxFeePerGasWei);
    await chain.mine(1);
    expect(await passUntilDecided(sender, event.data.withdrawalId, { mine: true })).toMatchObject({ state: 'confirmed' });
  });
});

describe('emergency stop', () => {
  it('sends nothing while the emergency stop is on, and sends the stored transaction once it is cleared', async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const sender = senderFor(wallet);
    const event = approvedEvent({ amount: 700_000n });
    const id = event.data.withdrawalId;
    await setFlag(nc, namespace, Flags.emergencyStop, { on: true, reason: 'withdrawal sender test', setBy: 'test' });
    try {
      await waitFor(() => flags.isOn(Flags.emergencyStop) || undefined, { timeoutMs: WAIT_MS, description: 'emergency stop seen' });
      expect(await sender.handleApproved(event)).toBe('signed');
      // Several passes, blocks mined in between: nothing reaches the node, nothing is announced.
      for (let pass = 0; pass < 5; pass += 1) {
        expect(await sender.pass()).toMatchObject({ held: true, sent: 0 });
        await chain.mine(1);
      }
      expect(await withdrawalRow(id)).toMatchObject({ state: 'signed', nonce: '0' });
      expect(await chain.pendingFrom(wallet.address)).toEqual([]);
      expect(await chain.minedNonce(wallet.address)).toBe(0);
      expect(await enqueuedEvents(db.sql, id)).toEqual([]);
    } finally {
      await setFlag(nc, namespace, Flags.emergencyStop, { on: false, reason: 'test over', setBy: 'test' });
    }
    await waitFor(() => !flags.isOn(Flags.emergencyStop) || undefined, { timeoutMs: WAIT_MS, description: 'emergency stop seen' });
    const row = await passUntilDecided(sender, id, { mine: true });
    expect(row).toMatchObject({ state: 'confirmed' });
    expect(eventTrail(await enqueuedEvents(db.sql, id))).toEqual(['broadcast#1', 'confirmed']);
    expect(await chain.tokenBalance(event.data.toAddress)).toBe(700_000n);
  });
});

describe('nonces', () => {
  it('gives two approvals handled at once two different nonces, and both land', async () => {
    const wallet = await chain.fundedWallet(10_000_000n);
    // Two senders, as two replicas would be: each has its own in-memory state, they share the database.
    const first = senderFor(wallet);
    const second = senderFor(wallet);
    const events = [approvedEvent({ amount: 3_000_000n }), approvedEvent({ amount: 4_000_000n })];
    await chain.setAutomine(false);
    // Make the two truly overlap: hold the wallet's nonce row until both approvals wait for it.
    const address = wallet.address.toLowerCase();
    await db.sql`insert into hot_wallet_nonces (chain_id, address, next_nonce) values (${chain.anvil.chainId}, ${address}, 0) on conflict do nothing`;
    const handled = await db.sql.begin(async (tx) => {
      await tx`select next_nonce from hot_wallet_nonces where chain_id = ${chain.anvil.chainId} and address = ${address} for update`;
      const both = Promise.all([first.handleApproved(events[0]!), second.handleApproved(events[1]!)]);
      await waitFor(
        async () => {
          const [row] = await db.sql<Array<{ waiting: number }>>`
            select count(*)::int as waiting from pg_stat_activity
            where wait_event_type = 'Lock' and datname = current_database() and query ilike '%hot_wallet_nonces%'`;
          return (row?.waiting ?? 0) >= 2 ? true : undefined;
        },
        { timeoutMs: WAIT_MS, intervalMs: 20, description: 'both approvals waiting for the nonce row lock' },
      );
      // Wrapped, or the transaction would wait for them before committing (and releasing the lock).
      return { both };
    });
    expect(await handled.both).toEqual(['signed', 'signed']);
    const nonces = await Promise.all(events.map(async (event) => (await withdrawalRow(event.data.withdrawalId))?.nonce));
    expect([...nonces].sort()).toEqual(['0', '1']);
    expect((await chain.pendingFrom(wallet.address)).length).toBe(2);
    await chain.mine(1);
    for (const event of events) expect(await passUntilDecided(first, event.data.withdrawalId, { mine: true })).toMatchObject({ state: 'confirmed' });
    expect(await chain.minedNonce(wallet.address)).toBe(2);
    expect(await chain.tokenBalance(events[0]!.data.toAddress)).toBe(3_000_000n);
    expect(await chain.tokenBalance(events[1]!.data.toAddress)).toBe(4_000_000n);
  });

  it('counts tokens promised to pending withdrawals: a third that would overdraw is rejected without using a nonce', async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const sender = senderFor(wallet);
    await chain.setAutomine(false);
    expect(await sender.handleApproved(approvedEvent({ amount: 3_000_000n }))).toBe('signed');
    const overdraw = approvedEvent({ amount: 2_500_000n });
    expect(await sender.handleApproved(overdraw)).toBe('rejected');
    expect(await withdrawalRow(overdraw.data.withdrawalId)).toMatchObject({ state: 'failed', failure_reason: 'rejected', nonce: null });
    const fits = approvedEvent({ amount: 2_000_000n });
    expect(await sender.handleApproved(fits)).toBe('signed');
    expect((await withdrawalRow(fits.data.withdrawalId))?.nonce).toBe('1');
  });
});

describe('rejected', () => {
  it.each([
    ['an unknown asset', { asset: 'NOPE' }, /no token contract/],
    ['the zero address', { toAddress: '0x0000000000000000000000000000000000000000' }, /not a usable address/],
    ['a wallet without enough tokens', { amount: 10_000_000n }, /promised to pending withdrawals/],
  ] as const)('rejects %s: failed: rejected, no tx hash, nothing signed or sent', async (_name, input, detail) => {
    const wallet = await chain.fundedWallet(1_000_000n);
    const sender = senderFor(wallet);
    const event = approvedEvent({ amount: 'amount' in input ? input.amount : 1_000n, ...('asset' in input ? { asset: input.asset } : {}), ...('toAddress' in input ? { toAddress: input.toAddress } : {}) });
    expect(await sender.handleApproved(event)).toBe('rejected');
    const events = await enqueuedEvents(db.sql, event.data.withdrawalId);
    expect(eventTrail(events)).toEqual(['failed:rejected']);
    expect(events[0]!.data).toMatchObject({ txHash: null, reason: 'rejected' });
    expect(String(events[0]!.data['detail'])).toMatch(detail);
    expect(await attemptsOf(event.data.withdrawalId)).toEqual([]);
    expect(await chain.pendingFrom(wallet.address)).toEqual([]);
    // The redelivery is a no-op.
    expect(await sender.handleApproved(event)).toBe('duplicate');
  });
});

describe('dropped', () => {
  it('fails a withdrawal as dropped once a foreign transaction used its nonce, deeper than the confirmations', async () => {
    const wallet = await chain.fundedWallet(5_000_000n);
    const sender = senderFor(wallet);
    const event = approvedEvent({ amount: 1_000_000n });
    await chain.setAutomine(false);
    expect(await sender.handleApproved(event)).toBe('signed');
    const [attempt] = await attemptsOf(event.data.withdrawalId);
    // The node forgets our transaction, and another one (an operator's cancel) takes the nonce.
    await chain.rpc('anvil_dropTransaction', [attempt!.tx_hash]);
    const operator = wallet.connect(chain.token.provider);
    await operator.sendTransaction({ to: wallet.address, value: 0n, nonce: 0, gasLimit: 21_000n, maxFeePerGas: 10n ** 11n, maxPriorityFeePerGas: 10n ** 9n });
    await chain.mine(1);
    // Until the foreign transaction is CONFIRMATIONS deep, the withdrawal stays open.
    await sender.pass();
    expect((await withdrawalRow(event.data.withdrawalId))?.state).toBe('broadcast');
    const row = await passUntilDecided(sender, event.data.withdrawalId, { mine: true });
    expect(row).toMatchObject({ state: 'failed', failure_reason: 'dropped', final_tx_hash: null });
    expect(eventTrail(await enqueuedEvents(db.sql, event.data.withdrawalId))).toEqual(['broadcast#1', 'failed:dropped']);
    expect(await chain.tokenBalance(event.data.toAddress)).toBe(0n);
  });
});
