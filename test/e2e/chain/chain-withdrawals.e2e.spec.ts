// Proves a withdrawal end to end as real processes (dist/apps): the ledger and the chain-watcher in
// a fresh namespace on the shared PostgreSQL and NATS, with a private anvil (a block a second) and
// the test token. A funded user requests a withdrawal, an admin approves it; the chain-watcher signs
// it with its hot wallet (anvil's public test account #2, minted test USDT), sends it, and after its
// confirmations publishes `confirmed`, on which the ledger completes the withdrawal with the same tx
// hash. The chain is checked: the destination holds exactly the amount, the hot wallet sent exactly
// one transaction. The watcher is SIGKILLed and restarted while the withdrawal is in flight, and the
// result is the same.
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveWithdrawalV1, pgSchemaName, requestWithdrawalV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { createServiceProcess, deployTestToken, startAnvil, testChainWatcherEnv, waitUntilReady, type AnvilNode, type DeployedTestToken, type ServiceProcess } from '@strongbox/shared-stack';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL, waitFor } from '@strongbox/shared-testing';
import { ANVIL_HOT_WALLET_PRIVATE_KEY } from '../support/e2e-stack';
import { startLedgerStack, type LedgerStack } from '../support/ledger-stack';

const distDir = fileURLToPath(new URL('../../../dist/apps', import.meta.url));
const USDT = 1_000_000n;
const READY_TIMEOUT_MS = 60_000;
const WAIT_MS = 60_000;

let anvil: AnvilNode;
let token: DeployedTestToken;
let ledger: LedgerStack;
let watcher: ServiceProcess;
const hotWallet = new Wallet(ANVIL_HOT_WALLET_PRIVATE_KEY);

beforeAll(async () => {
  anvil = await startAnvil({ port: await freePort(), blockTimeS: 1 });
  token = await deployTestToken({ rpcUrl: anvil.url, symbol: 'USDT' });
  await token.mint(hotWallet.address, 1_000n * USDT);
  ledger = await startLedgerStack({ prefix: 'cwe2e', extraEnv: { LEDGER_WITHDRAWAL_FEE_MINOR: '0' } });
  watcher = createServiceProcess({
    name: 'chain-watcher',
    distDir,
    opsPort: await freePort(),
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'development',
      STRONGBOX_NAMESPACE: ledger.namespace,
      LOG_LEVEL: process.env['E2E_LOG_LEVEL'] ?? 'info',
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: TEST_DATABASE_URL,
      CHAIN_RPC_URL: anvil.url,
      CHAIN_ID: String(anvil.chainId),
      CHAIN_POLL_INTERVAL_MS: '500',
      CHAIN_STALL_TIMEOUT_MS: '86400000',
      ...testChainWatcherEnv({ tokenAddress: token.address }),
      CHAIN_HOT_WALLET_PRIVATE_KEY: ANVIL_HOT_WALLET_PRIVATE_KEY,
      CHAIN_WITHDRAWAL_CONFIRMATIONS: '3',
      CHAIN_WITHDRAWAL_POLL_INTERVAL_MS: '300',
    },
    ...(process.env['E2E_VERBOSE'] ? { onLine: (name: string, line: string) => console.log(`[${name}] ${line}`) } : {}),
  });
  watcher.start();
  await waitUntilReady(watcher, READY_TIMEOUT_MS);
});

afterAll(async () => {
  await watcher?.stop(10_000);
  await ledger?.sql.unsafe(`drop schema if exists "${pgSchemaName(ledger.namespace, 'chain-watcher')}" cascade`).catch(() => undefined);
  await ledger?.teardown();
  token?.close();
  await anvil?.stop();
});

async function ledgerWithdrawal(withdrawalId: string) {
  const [row] = await ledger.sql<Array<{ state: string; tx_hash: string | null }>>`select state, tx_hash from withdrawals where id = ${withdrawalId}`;
  return row;
}

describe('a withdrawal through the ledger and the chain-watcher', () => {
  it('is paid out once on chain and completed in the ledger with its tx hash, across a SIGKILL of the watcher', async () => {
    const userId = await ledger.openUser();
    await ledger.fund(userId, 100n * USDT);
    const toAddress = Wallet.createRandom().address;
    const nonceBefore = await token.provider.getTransactionCount(hotWallet.address, 'latest');

    const requested = await ledger.client.call(requestWithdrawalV1, { idempotencyKey: newId(), userId, asset: 'USDT', amount: String(25n * USDT), toAddress });
    const withdrawalId = requested.withdrawal.withdrawalId;
    await ledger.client.call(approveWithdrawalV1, { idempotencyKey: newId(), adminId: newId(), withdrawalId });

    // In flight (broadcast in the ledger, not yet completed): kill the watcher and start it again.
    await waitFor(async () => ((await ledgerWithdrawal(withdrawalId))?.state === 'broadcast' ? true : undefined), {
      timeoutMs: WAIT_MS,
      intervalMs: 100,
      description: 'the ledger sees the withdrawal broadcast',
    });
    await watcher.kill('SIGKILL');
    watcher.start();
    await waitUntilReady(watcher, READY_TIMEOUT_MS);

    const completed = await waitFor(
      async () => {
        const row = await ledgerWithdrawal(withdrawalId);
        return row?.state === 'completed' ? row : undefined;
      },
      { timeoutMs: WAIT_MS, intervalMs: 200, description: 'the ledger completes the withdrawal' },
    );
    const receipt = await token.provider.getTransactionReceipt(completed.tx_hash!);
    expect(receipt?.status).toBe(1);
    expect(receipt?.from.toLowerCase()).toBe(hotWallet.address.toLowerCase());
    expect(await token.contract.getFunction('balanceOf')(toAddress)).toBe(25n * USDT);
    expect(await token.provider.getTransactionCount(hotWallet.address, 'latest')).toBe(nonceBefore + 1);
  });
});
