// Proves the deposit scanner against a private anvil holding the test token and the real
// PostgreSQL (own schema per file): a deposit's `confirmed` event is written exactly when
// head - block + 1 reaches N, not one block earlier, and re-creating the scanner (a restart) at any
// point adds nothing; a dust deposit is announced as such and never confirmed; a reorg shallower
// than N orphans an unconfirmed deposit (never confirmed) and publishes the re-scanned range; a reorg
// deeper than N after confirmation writes `deposit reverted`; garbage, a silent node, a malformed
// answer and a head that goes backwards confirm nothing, open the breaker, and the scanner resumes
// from its cursor afterwards; a dead first endpoint fails over to the second; during a token
// contract migration the old contract counts up to its last block and the new one from its first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { depositConfirmedV1, depositDetectedV1, depositRevertedV1, rangeRescannedV1 } from '@strongbox/shared-contracts';
import { ANVIL_SECOND_PRIVATE_KEY, deployTestToken } from '@strongbox/chain-testing';
import { freePort } from '@strongbox/shared-testing';
import { pino } from 'pino';
import { createChainRpcClient } from '@strongbox/chain-data-access';
import { createCircuitBreaker } from '@strongbox/shared-resilience';
import { ChainFeatureErrorCodes, createNodeHealth } from '../../src/index';
import { DUST_MINIMUM_MINOR, ProxyModes, REQUIRED_CONFIRMATIONS, startChainHarness, type ChainHarness } from '../support/chain.harness';

const USDT = 1_000_000n;
/** anvil's third default account (m/44'/60'/0'/0/2 of the public test mnemonic). */
const ANVIL_THIRD_PRIVATE_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
let chain: ChainHarness;

beforeAll(async () => {
  chain = await startChainHarness('chscan');
}, 60_000);

afterAll(async () => {
  await chain?.dispose();
}, 30_000);

async function confirmedOf(txHash: string) {
  return (await chain.events(depositConfirmedV1.type)).filter((event) => event.data['txHash'] === txHash);
}

async function detectedOf(txHash: string) {
  return (await chain.events(depositDetectedV1.type)).filter((event) => event.data['txHash'] === txHash);
}

describe('deposit scanner', () => {
  it('confirms exactly at the N-th confirmation, once, however often the watcher restarts', async () => {
    const user = await chain.newDepositor();
    const deposit = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 5n * USDT);

    // Confirmation 1 (the deposit's own block): detected, not confirmed.
    let { scanner } = chain.scanner();
    await scanner.scanOnce();
    expect(await detectedOf(deposit.txHash)).toHaveLength(1);
    expect(await confirmedOf(deposit.txHash)).toEqual([]);

    // Confirmations 2 .. N-1, a fresh scanner (restart) before each: still not confirmed.
    for (let confirmations = 2; confirmations < REQUIRED_CONFIRMATIONS; confirmations += 1) {
      await chain.mine(1);
      expect((await chain.head()) - deposit.blockNumber + 1).toBe(confirmations);
      ({ scanner } = chain.scanner());
      const tick = await scanner.scanOnce();
      expect(tick.cursor).toBe(deposit.blockNumber + confirmations - 1);
      expect(await confirmedOf(deposit.txHash)).toEqual([]);
    }

    // The N-th confirmation: confirmed, with exactly N confirmations.
    await chain.mine(1);
    const tick = await scanner.scanOnce();
    expect(tick.confirmed.map((row) => row.txHash)).toEqual([deposit.txHash]);
    const confirmed = await confirmedOf(deposit.txHash);
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]!.data).toMatchObject({
      userId: user.userId,
      asset: 'USDT',
      amount: String(5n * USDT),
      blockNumber: deposit.blockNumber,
      logIndex: deposit.logIndex,
      confirmations: REQUIRED_CONFIRMATIONS,
    });
    expect(confirmed[0]!.id).toBe(`deposit-confirmed:${chain.anvil.chainId}:${deposit.txHash}:${deposit.logIndex}`);

    // More blocks and two more restarts change nothing.
    await chain.mine(5);
    await chain.scanner().scanner.scanOnce();
    await chain.scanner().scanner.scanOnce();
    expect(await detectedOf(deposit.txHash)).toHaveLength(1);
    expect(await confirmedOf(deposit.txHash)).toHaveLength(1);
  });

  it('records a dust deposit as below the minimum and never confirms it', async () => {
    const user = await chain.newDepositor();
    const dust = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, DUST_MINIMUM_MINOR - 1n);
    await chain.mine(REQUIRED_CONFIRMATIONS + 2);
    await chain.scanner().scanner.scanOnce();
    const detected = await detectedOf(dust.txHash);
    expect(detected).toHaveLength(1);
    expect(detected[0]!.data['belowDustMinimum']).toBe(true);
    expect(await confirmedOf(dust.txHash)).toEqual([]);
    const [row] = await chain.sql`select state, below_dust_minimum from deposits where tx_hash = ${dust.txHash}`;
    expect(row).toEqual({ state: 'detected', below_dust_minimum: true });
  });

  it('a reorg shallower than N orphans an unconfirmed deposit: never confirmed, range re-scanned', async () => {
    const user = await chain.newDepositor();
    const { scanner } = chain.scanner();
    await scanner.scanOnce();
    const deposit = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 7n * USDT);
    await scanner.scanOnce();
    expect(await detectedOf(deposit.txHash)).toHaveLength(1);
    const rescansBefore = (await chain.events(rangeRescannedV1.type)).length;

    // Replace the deposit's block (depth 1 < N) with an empty one.
    const head = await chain.head();
    expect(head).toBe(deposit.blockNumber);
    await chain.anvilRpc('anvil_reorg', [REQUIRED_CONFIRMATIONS - 2, []]);
    await chain.anvilRpc('anvil_dropAllTransactions');
    expect(await chain.anvilRpc('eth_getTransactionReceipt', [deposit.txHash])).toBeNull();

    const tick = await scanner.scanOnce();
    expect(tick.reorg).toMatchObject({ forkPoint: deposit.blockNumber - 1, depth: 1, reverted: 0 });
    const [row] = await chain.sql`select state from deposits where tx_hash = ${deposit.txHash}`;
    expect(row).toEqual({ state: 'orphaned' });
    const rescans = (await chain.events(rangeRescannedV1.type)).slice(rescansBefore);
    expect(rescans).toHaveLength(1);
    expect(rescans[0]!.data).toMatchObject({ reason: 'reorg', fromBlock: deposit.blockNumber, toBlock: head, depositsFound: 0 });

    // Far past N confirmations of where the deposit was: still never confirmed.
    await chain.mine(REQUIRED_CONFIRMATIONS * 2);
    await scanner.scanOnce();
    expect(await confirmedOf(deposit.txHash)).toEqual([]);
  });

  it('a reorg deeper than N after confirmation publishes deposit reverted', async () => {
    const user = await chain.newDepositor();
    const { scanner } = chain.scanner();
    await scanner.scanOnce();
    const deposit = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 9n * USDT);
    await chain.mine(REQUIRED_CONFIRMATIONS);
    await scanner.scanOnce();
    expect(await confirmedOf(deposit.txHash)).toHaveLength(1);

    const depth = (await chain.head()) - deposit.blockNumber + 1;
    expect(depth).toBeGreaterThan(REQUIRED_CONFIRMATIONS);
    await chain.anvilRpc('anvil_reorg', [depth, []]);
    await chain.anvilRpc('anvil_dropAllTransactions');

    const tick = await scanner.scanOnce();
    expect(tick.reorg).toMatchObject({ forkPoint: deposit.blockNumber - 1, depth, reverted: 1 });
    const reverted = (await chain.events(depositRevertedV1.type)).filter((event) => event.data['txHash'] === deposit.txHash);
    expect(reverted).toHaveLength(1);
    expect(reverted[0]!.data).toMatchObject({ userId: user.userId, amount: String(9n * USDT), logIndex: deposit.logIndex });
    const [row] = await chain.sql`select state from deposits where tx_hash = ${deposit.txHash}`;
    expect(row).toEqual({ state: 'reverted' });
    // Scanning on neither re-confirms nor reverts it again.
    await chain.mine(REQUIRED_CONFIRMATIONS);
    await scanner.scanOnce();
    expect(await confirmedOf(deposit.txHash)).toHaveLength(1);
    expect((await chain.events(depositRevertedV1.type)).filter((event) => event.data['txHash'] === deposit.txHash)).toHaveLength(1);
  });

  it.each([
    { mode: ProxyModes.garbage, what: 'answers that are not JSON' },
    { mode: ProxyModes.wrongShape, what: 'answers of the wrong shape' },
    { mode: ProxyModes.silent, what: 'no answer at all (timeout)' },
    { mode: ProxyModes.backwards, what: 'a head below the cursor' },
  ])('a node giving $what credits nothing, opens the breaker, and the scanner resumes from its cursor', async ({ mode }) => {
    const user = await chain.newDepositor();
    const { scanner, breaker } = chain.scanner();
    await scanner.scanOnce();
    const cursorBefore = (await scanner.cursor()).blockNumber;
    const deposit = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 3n * USDT);
    await chain.mine(REQUIRED_CONFIRMATIONS);

    chain.proxy.mode = mode;
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const failure = await scanner.scanOnce().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(Error);
        if (mode === ProxyModes.backwards) expect((failure as { code?: string }).code).toBe(ChainFeatureErrorCodes.headWentBackwards);
      }
    } finally {
      chain.proxy.mode = ProxyModes.pass;
    }
    // The scanner refuses a backwards head itself (the health monitor's probe is what counts it
    // against the breaker, see below); every other failure went through the breaker and opened it.
    if (mode !== ProxyModes.backwards) expect(breaker.state()).toBe('open');
    expect((await scanner.cursor()).blockNumber).toBe(cursorBefore);
    expect(await detectedOf(deposit.txHash)).toEqual([]);
    expect(await confirmedOf(deposit.txHash)).toEqual([]);

    // A healthy node again (a fresh breaker, as after its half-open trial): resumes from the cursor, confirms once.
    const resumed = chain.scanner().scanner;
    await resumed.scanOnce();
    expect(await detectedOf(deposit.txHash)).toHaveLength(1);
    expect(await confirmedOf(deposit.txHash)).toHaveLength(1);
  });

  it('the health probe counts a head below the cursor as a node failure and opens the breaker', async () => {
    const { scanner } = chain.scanner();
    await chain.mine(2);
    await scanner.scanOnce();
    const breaker = createCircuitBreaker({ name: 'probe', consecutiveFailures: 3, halfOpenAfterMs: 60_000 });
    const rpc = createChainRpcClient({ urls: [chain.proxy.url], chainId: chain.anvil.chainId, requestTimeoutMs: 1_000 });
    const health = createNodeHealth({ rpc, breaker, stallTimeoutMs: 60_000, floor: async () => (await scanner.cursor()).blockNumber, logger: pino({ level: 'silent' }) });
    expect((await health.probe()).head).toBe(await chain.head());
    chain.proxy.mode = ProxyModes.backwards;
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const probe = await health.probe();
        expect(probe.head).toBeUndefined();
        expect((probe.error as { code?: string }).code).toBe(ChainFeatureErrorCodes.headWentBackwards);
      }
    } finally {
      chain.proxy.mode = ProxyModes.pass;
    }
    expect(health.breakerOpen()).toBe(true);
  });

  it('the health probe counts a node that produces no block for longer than the stall limit as failed and opens the breaker; a new block restarts the stall clock', async () => {
    const { scanner } = chain.scanner();
    const clock = { now: new Date('2030-01-01T00:00:00Z') };
    const stallTimeoutMs = 30_000;
    const breaker = createCircuitBreaker({ name: 'stall-probe', consecutiveFailures: 3, halfOpenAfterMs: 60_000 });
    const rpc = createChainRpcClient({ urls: [chain.proxy.url], chainId: chain.anvil.chainId, requestTimeoutMs: 1_000 });
    const health = createNodeHealth({
      rpc,
      breaker,
      stallTimeoutMs,
      floor: async () => (await scanner.cursor()).blockNumber,
      logger: pino({ level: 'silent' }),
      now: () => clock.now,
    });
    await chain.mine(1);
    const head = (await health.probe()).head;
    expect(head).toBe(await chain.head());
    // The same head within the limit is a quiet chain, not a failure.
    clock.now = new Date(clock.now.getTime() + stallTimeoutMs);
    expect((await health.probe()).head).toBe(head);
    // A new block past the limit counts from the block: healthy, and the stall clock starts again.
    await chain.mine(1);
    clock.now = new Date(clock.now.getTime() + 1);
    expect((await health.probe()).head).toBe((head ?? 0) + 1);
    // Then the limit passes without a new block: stalled, three times, and the breaker opens.
    clock.now = new Date(clock.now.getTime() + stallTimeoutMs + 1);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const probe = await health.probe();
      expect(probe.head).toBeUndefined();
      expect((probe.error as { code?: string }).code).toBe(ChainFeatureErrorCodes.nodeStalled);
    }
    expect(health.breakerOpen()).toBe(true);
  });

  it('fails over from a dead endpoint to the next one', async () => {
    const user = await chain.newDepositor();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { scanner, rpc } = chain.scanner({ urls: [dead, chain.proxy.url] });
    const deposit = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 2n * USDT);
    await chain.mine(REQUIRED_CONFIRMATIONS);
    await scanner.scanOnce();
    expect(rpc.preferredEndpoint()).toBe(chain.proxy.url);
    expect(await confirmedOf(deposit.txHash)).toHaveLength(1);
  });

  it('watches a migrated token on its old contract up to its last block and on the new one from its first', async () => {
    const user = await chain.newDepositor();
    // Deployed (and minted) by another of anvil's accounts, so the two deployers' nonces never collide.
    const successor = await deployTestToken({ rpcUrl: chain.anvil.url, symbol: 'USDT', deployerPrivateKey: ANVIL_THIRD_PRIVATE_KEY });
    try {
      const switchBlock = (await chain.head()) + 5;
      const tokens = [
        {
          asset: 'USDT',
          decimals: 6,
          dustMinimumMinor: DUST_MINIMUM_MINOR,
          contracts: [
            { address: chain.token.address.toLowerCase(), fromBlock: 0, toBlock: switchBlock - 1 },
            { address: successor.address.toLowerCase(), fromBlock: switchBlock, toBlock: null },
          ],
        },
      ];
      const { scanner } = chain.scanner({ tokens });
      // Before the switch: the old contract counts, the new one not yet.
      const oldBefore = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 4n * USDT);
      const newBefore = await successor.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 4n * USDT);
      expect(newBefore.blockNumber).toBeLessThan(switchBlock);
      const gap = switchBlock - (await chain.head()) - 1;
      if (gap > 0) await chain.mine(gap);
      // From the switch on: the new contract counts, the old one no longer.
      const oldAfter = await chain.token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 6n * USDT);
      const newAfter = await successor.transferFrom(ANVIL_SECOND_PRIVATE_KEY, user.address, 6n * USDT);
      expect(oldAfter.blockNumber).toBeGreaterThanOrEqual(switchBlock);
      await chain.mine(REQUIRED_CONFIRMATIONS);
      await scanner.scanOnce();

      expect((await confirmedOf(oldBefore.txHash)).map((event) => event.data['amount'])).toEqual([String(4n * USDT)]);
      expect((await confirmedOf(newAfter.txHash)).map((event) => event.data['amount'])).toEqual([String(6n * USDT)]);
      expect(await detectedOf(newBefore.txHash)).toEqual([]);
      expect(await detectedOf(oldAfter.txHash)).toEqual([]);
      const [row] = await chain.sql`select token_contract from deposits where tx_hash = ${newAfter.txHash}`;
      expect(row).toEqual({ token_contract: successor.address.toLowerCase() });
    } finally {
      successor.close();
    }
  });
});
