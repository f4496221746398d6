// The test token compiles from source, deploys to a private anvil, and behaves as an ERC-20:
// mint and transfer emit Transfer logs, a transfer beyond the balance and a paused transfer revert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract, Wallet, id } from 'ethers';
import { startAnvil, type AnvilNode } from '@strongbox/shared-stack';
import { freePort } from '@strongbox/shared-testing';
import { ANVIL_SECOND_PRIVATE_KEY, deployTestToken, type DeployedTestToken } from './test-token';

let anvil: AnvilNode;
let token: DeployedTestToken;

beforeAll(async () => {
  anvil = await startAnvil({ port: await freePort() });
  token = await deployTestToken({ rpcUrl: anvil.url });
}, 60_000);

afterAll(async () => {
  token?.close();
  await anvil?.stop();
});

describe('the test token', () => {
  it('has the requested metadata', async () => {
    expect(await token.contract.getFunction('decimals')()).toBe(6n);
    expect(await token.contract.getFunction('symbol')()).toBe('TUSD');
  });

  it('mints and transfers, emitting Transfer logs to the recipient', async () => {
    const recipient = Wallet.createRandom().address;
    const sent = await token.transferFrom(ANVIL_SECOND_PRIVATE_KEY, recipient, 1_234_567n);
    expect(await token.contract.getFunction('balanceOf')(recipient)).toBe(1_234_567n);
    const receipt = await token.provider.getTransactionReceipt(sent.txHash);
    const log = receipt?.logs.find((entry) => entry.topics[0] === id('Transfer(address,address,uint256)'));
    expect(log?.address).toBe(token.address);
    expect(BigInt(log?.data ?? '0x0')).toBe(1_234_567n);
    expect(log?.index).toBe(sent.logIndex);
  });

  it('reverts a transfer beyond the balance and any transfer while paused', async () => {
    const poor = Wallet.createRandom().connect(token.provider);
    const asPoor = token.contract.connect(poor) as Contract;
    await expect(asPoor.getFunction('transfer').staticCall(Wallet.createRandom().address, 1n)).rejects.toThrow(/exceeds balance/);
    await (await token.contract.getFunction('setTransfersPaused')(true)).wait();
    await expect(token.contract.getFunction('transfer').staticCall(Wallet.createRandom().address, 0n)).rejects.toThrow(/paused/);
    await (await token.contract.getFunction('setTransfersPaused')(false)).wait();
  });
});
