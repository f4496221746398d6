// Failover of the withdrawal sender's node calls against a private anvil behind two fault proxies:
// a hung first node costs one time limit and the call is answered by the second; the next call
// goes straight to the node that answered; when every node is cut the call fails with
// CHAIN_ERR_RPC_FAILED; and a node's refusal of a transaction stays a refusal (CHAIN_ERR_BROADCAST_REFUSED).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import { startAnvil, type AnvilNode } from '@strongbox/shared-stack';
import { freePort, startTcpFaultProxy, type TcpFaultProxy } from '@strongbox/shared-testing';
import { ChainWithdrawalErrorCodes, createFailoverWithdrawalRpc, createWithdrawalRpc, type WithdrawalRpc } from '../../src/index';

const TIMEOUT_MS = 700;
let anvil: AnvilNode;
let first: TcpFaultProxy;
let second: TcpFaultProxy;
let rpc: WithdrawalRpc;

beforeAll(async () => {
  anvil = await startAnvil({ port: await freePort() });
  first = await startTcpFaultProxy({ host: '127.0.0.1', port: anvil.port });
  second = await startTcpFaultProxy({ host: '127.0.0.1', port: anvil.port });
  rpc = createFailoverWithdrawalRpc(
    [first, second].map((proxy) => createWithdrawalRpc({ rpcUrl: `http://127.0.0.1:${proxy.port}`, chainId: anvil.chainId, requestTimeoutMs: TIMEOUT_MS })),
  );
}, 30_000);

afterAll(async () => {
  rpc?.close();
  await first?.close();
  await second?.close();
  await anvil?.stop();
});

describe('createFailoverWithdrawalRpc', () => {
  it('answers from the second node when the first hangs, then stays with the second', async () => {
    first.stall();
    const startedAtMs = performance.now();
    expect(await rpc.headBlock()).toBeGreaterThanOrEqual(0);
    expect(performance.now() - startedAtMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    const againAtMs = performance.now();
    await rpc.headBlock();
    expect(performance.now() - againAtMs).toBeLessThan(TIMEOUT_MS / 2);
    first.restore();
  });

  it('fails with CHAIN_ERR_RPC_FAILED when no node can be reached, and answers again when one returns', async () => {
    first.cut();
    second.cut();
    await expect(rpc.headBlock()).rejects.toMatchObject({ code: ChainWithdrawalErrorCodes.rpcFailed });
    first.restore();
    expect(await rpc.headBlock()).toBeGreaterThanOrEqual(0);
    second.restore();
  });

  it('passes a node refusal on as a refusal, not as an unreachable node', async () => {
    // A transaction signed for another chain: the node refuses it; a reachable node's answer stands.
    const foreign = await Wallet.createRandom().signTransaction({ chainId: 999, nonce: 0, gasLimit: 21_000, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n, to: Wallet.createRandom().address, value: 0n, type: 2 });
    await expect(rpc.sendRawTransaction(foreign)).rejects.toMatchObject({ code: ChainWithdrawalErrorCodes.broadcastRefused });
  });
});
