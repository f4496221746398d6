import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Contract, ContractFactory, HDNodeWallet, JsonRpcProvider, NonceManager, Wallet, type InterfaceAbi } from 'ethers';

// ---------------------------------------------------------------------------------------------
// The test ERC-20 (src/contracts/TestToken.sol), compiled from source with the npm `solc` package
// (the pinned compiler, in WebAssembly) the first time a test process needs it, then deployed to a
// local node such as anvil. Compiling from source keeps the bytecode reviewable: no binary blob in
// the repository.
// ---------------------------------------------------------------------------------------------

/** anvil's first default account: funded with 10,000 ETH on every fresh anvil. Never a real key. */
export const ANVIL_DEPLOYER_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
/** anvil's second default account, funded likewise; a convenient depositor in tests. */
export const ANVIL_SECOND_PRIVATE_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

export interface CompiledContract {
  readonly abi: InterfaceAbi;
  /** 0x-prefixed creation bytecode. */
  readonly bytecode: string;
}

let compiled: CompiledContract | undefined;

/** Compiles TestToken.sol once per process; throws with every compiler error when it fails. */
export function compileTestToken(): CompiledContract {
  if (compiled) return compiled;
  const require = createRequire(import.meta.url);
  const solc = require('solc') as { compile(input: string): string };
  const source = readFileSync(new URL('./contracts/TestToken.sol', import.meta.url), 'utf8');
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: source } },
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { TestToken: ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(`TestToken.sol does not compile:\n${errors.map((error) => error.formattedMessage).join('\n')}`);
  const contract = output.contracts?.['TestToken.sol']?.['TestToken'];
  if (!contract) throw new Error('solc produced no TestToken contract');
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}

export interface DeployedTestToken {
  readonly address: string;
  /** The contract connected to the deployer's wallet (the owner): `mint`, `transfer`, `setTransfersPaused`. */
  readonly contract: Contract;
  readonly deployer: NonceManager;
  readonly provider: JsonRpcProvider;
  /** Mints `amount` minor units to `to` and waits for the receipt; returns its block number and hash. */
  mint(to: string, amount: bigint): Promise<{ txHash: string; blockNumber: number }>;
  /** Transfers from a funded key (default: anvil's second account, minted as needed) and waits for the receipt. */
  transferFrom(privateKey: string, to: string, amount: bigint): Promise<{ txHash: string; blockNumber: number; logIndex: number }>;
  close(): void;
}

/** Deploys a fresh TestToken (default: "Test USD", TUSD, 6 decimals) to the node at `rpcUrl`. */
export async function deployTestToken(options: {
  rpcUrl: string;
  name?: string;
  symbol?: string;
  decimals?: number;
  deployerPrivateKey?: string;
}): Promise<DeployedTestToken> {
  const { abi, bytecode } = compileTestToken();
  const { provider, deployer } = connect(options.rpcUrl, options.deployerPrivateKey);
  const factory = new ContractFactory(abi, bytecode, deployer);
  const deployed = await factory.deploy(options.name ?? 'Test USD', options.symbol ?? 'TUSD', options.decimals ?? 6);
  await deployed.waitForDeployment();
  return handle(await deployed.getAddress(), provider, deployer);
}

/**
 * A handle on a TestToken deployed before, e.g. on an anvil restarted from a state dump: the same
 * address and owner, a fresh connection.
 */
export function attachTestToken(options: { rpcUrl: string; address: string; deployerPrivateKey?: string }): DeployedTestToken {
  const { provider, deployer } = connect(options.rpcUrl, options.deployerPrivateKey);
  return handle(options.address, provider, deployer);
}

function connect(rpcUrl: string, deployerPrivateKey: string | undefined): { provider: JsonRpcProvider; deployer: NonceManager } {
  // No answer cache: two transfers from one key in quick succession must each read the current nonce.
  const provider = new JsonRpcProvider(rpcUrl, undefined, { batchMaxCount: 1, polling: true, pollingInterval: 100, cacheTimeout: -1 });
  return { provider, deployer: new NonceManager(new Wallet(deployerPrivateKey ?? ANVIL_DEPLOYER_PRIVATE_KEY, provider)) };
}

function handle(address: string, provider: JsonRpcProvider, deployer: NonceManager): DeployedTestToken {
  const contract = new Contract(address, compileTestToken().abi, deployer);
  const receiptOf = async (txPromise: Promise<{ hash: string; wait(): Promise<unknown> }>) => {
    const tx = await txPromise;
    const receipt = (await tx.wait()) as { blockNumber: number; logs: readonly { index: number }[] } | null;
    if (!receipt) throw new Error(`transaction ${tx.hash} has no receipt`);
    return { txHash: tx.hash, blockNumber: receipt.blockNumber, logIndex: receipt.logs[0]?.index ?? 0 };
  };
  return {
    address,
    contract,
    deployer,
    provider,
    mint: async (to, amount) => {
      const { txHash, blockNumber } = await receiptOf(contract.getFunction('mint')(to, amount));
      return { txHash, blockNumber };
    },
    transferFrom: async (privateKey, to, amount) => {
      const sender = new Wallet(privateKey, provider);
      const balance = (await contract.getFunction('balanceOf')(sender.address)) as bigint;
      if (balance < amount) await receiptOf(contract.getFunction('mint')(sender.address, amount - balance));
      return await receiptOf((contract.connect(sender) as Contract).getFunction('transfer')(to, amount));
    },
    close: () => provider.destroy(),
  };
}

/** The mnemonic every anvil starts with ("test … junk"): public knowledge, never a real secret. */
export const ANVIL_TEST_MNEMONIC = 'test test test test test test test test test test test junk';

/**
 * The extended public key of the external chain m/44'/60'/1'/0 (account 1) of the anvil test
 * mnemonic: what the chain-watcher is configured with in tests and in the dev stack. Account 1, not
 * 0: anvil's funded accounts are m/44'/60'/0'/0/i, and a deposit address must never be one of the
 * senders a test uses.
 */
export function testDepositXpub(): string {
  return HDNodeWallet.fromPhrase(ANVIL_TEST_MNEMONIC, undefined, "m/44'/60'/1'/0").neuter().extendedKey;
}

/**
 * The chain-watcher variables that make it watch a deployed test token as `asset` with deposit
 * addresses from `testDepositXpub()`: what the dev stack and the system tests pass.
 *
 * @example
 * const token = await deployTestToken({ rpcUrl: anvil.url, symbol: 'USDT' });
 * startStack({ …, extraEnv: { 'chain-watcher': testChainWatcherEnv({ tokenAddress: token.address }) } });
 */
export function testChainWatcherEnv(options: { tokenAddress: string; asset?: string; dustMinimumMinor?: bigint; fromBlock?: number }): Record<string, string> {
  return {
    CHAIN_DEPOSIT_XPUB: testDepositXpub(),
    CHAIN_DEPOSIT_TOKENS: JSON.stringify([
      {
        asset: options.asset ?? 'USDT',
        decimals: 6,
        dustMinimumMinor: String(options.dustMinimumMinor ?? 10_000n),
        contracts: [{ address: options.tokenAddress, fromBlock: options.fromBlock ?? 0, toBlock: null }],
      },
    ]),
  };
}
