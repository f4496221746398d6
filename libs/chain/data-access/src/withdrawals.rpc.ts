import { FetchRequest, Interface, JsonRpcProvider, Network, isError, toBeHex } from 'ethers';
import { TimeoutError, withTimeout } from '@strongbox/shared-resilience';
import { ChainWithdrawalError, ChainWithdrawalErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// The node, as the withdrawal sender needs it: consistent snapshots of the hot wallet, fees,
// sending raw transactions (with the node's answers classified) and receipts. Every call has a
// time limit; failures are ChainWithdrawalError(CHAIN_ERR_RPC_FAILED), which the loops retry.
// ---------------------------------------------------------------------------------------------

/** The ERC-20 functions the sender uses. */
export const ERC20_INTERFACE = new Interface([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function decimals() view returns (uint8)',
]);

/** What the node said to a raw transaction that we treat as sent. */
export const BroadcastOutcomes = {
  /** Accepted into the mempool now. */
  accepted: 'accepted',
  /** The node already has this exact transaction (a re-send after a restart). */
  alreadyKnown: 'already-known',
  /** The nonce is already used: by this transaction mined earlier, or by another attempt (the watcher decides). */
  nonceUsed: 'nonce-used',
  /** Another attempt under the same nonce with a higher fee is pending (an older attempt re-sent). */
  replacedByPending: 'replaced-by-pending',
} as const;
export type BroadcastOutcome = (typeof BroadcastOutcomes)[keyof typeof BroadcastOutcomes];

/** The hot wallet at one block: everything read at the same block number, so it is consistent. */
export interface WalletSnapshot {
  readonly blockNumber: number;
  /** Transactions of the wallet mined up to `blockNumber` = the next unused nonce there. */
  readonly minedNonce: number;
  readonly tokenBalance: bigint;
  readonly nativeBalanceWei: bigint;
}

export interface FeeQuote {
  readonly maxFeePerGasWei: bigint;
  readonly maxPriorityFeePerGasWei: bigint;
}

export interface ReceiptSummary {
  readonly txHash: string;
  /** 1 success, 0 reverted. */
  readonly status: number;
  readonly blockNumber: number;
  readonly blockHash: string;
}

export interface WithdrawalRpc {
  readonly chainId: number;
  headBlock(): Promise<number>;
  walletSnapshot(options: { address: string; tokenContract: string }): Promise<WalletSnapshot>;
  /** Fees for a new transaction: twice the latest base fee plus the node's suggested tip. */
  feeQuote(): Promise<FeeQuote>;
  /** Mined transaction count of `address` at `blockNumber`. */
  nonceAt(address: string, blockNumber: number): Promise<number>;
  receipt(txHash: string): Promise<ReceiptSummary | null>;
  tokenDecimals(tokenContract: string): Promise<number>;
  /** Sends a signed transaction; resolves with a success path, throws CHAIN_ERR_BROADCAST_REFUSED otherwise. */
  sendRawTransaction(rawTransaction: string): Promise<BroadcastOutcome>;
  close(): void;
}

/**
 * Connects to `rpcUrl` with a fixed network (no background probing) and a time limit on every call.
 *
 * @example
 * const rpc = createWithdrawalRpc({ rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, requestTimeoutMs: 5_000 });
 */
export function createWithdrawalRpc(options: { rpcUrl: string; chainId: number; requestTimeoutMs: number }): WithdrawalRpc {
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.requestTimeoutMs;
  const network = Network.from(options.chainId);
  const provider = new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
  const call = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await withTimeout(options.requestTimeoutMs, () => work());
    } catch (error) {
      if (error instanceof ChainWithdrawalError) throw error;
      const reason = error instanceof TimeoutError ? `timed out after ${options.requestTimeoutMs} ms` : nodeMessage(error);
      throw new ChainWithdrawalError(ChainWithdrawalErrorCodes.rpcFailed, `${what}: ${reason}`, { cause: error });
    }
  };
  const ethCall = (to: string, data: string, blockTag: string) =>
    call('eth_call', () => provider.send('eth_call', [{ to, data }, blockTag]) as Promise<string>);

  return {
    chainId: options.chainId,
    headBlock: () => call('eth_blockNumber', () => provider.getBlockNumber()),
    async walletSnapshot({ address, tokenContract }) {
      const blockNumber = await call('eth_blockNumber', () => provider.getBlockNumber());
      const tag = toBeHex(blockNumber);
      const [balanceData, minedNonce, nativeBalanceWei] = await Promise.all([
        ethCall(tokenContract, ERC20_INTERFACE.encodeFunctionData('balanceOf', [address]), tag),
        call('eth_getTransactionCount', () => provider.getTransactionCount(address, blockNumber)),
        call('eth_getBalance', () => provider.getBalance(address, blockNumber)),
      ]);
      const [tokenBalance] = ERC20_INTERFACE.decodeFunctionResult('balanceOf', balanceData) as unknown as [bigint];
      return { blockNumber, minedNonce, tokenBalance, nativeBalanceWei };
    },
    async feeQuote() {
      const [block, tip] = await Promise.all([
        call('eth_getBlockByNumber', () => provider.getBlock('latest')),
        call('eth_maxPriorityFeePerGas', () => provider.send('eth_maxPriorityFeePerGas', []) as Promise<string>),
      ]);
      const maxPriorityFeePerGasWei = BigInt(tip);
      const baseFee = block?.baseFeePerGas ?? 0n;
      return { maxFeePerGasWei: baseFee * 2n + maxPriorityFeePerGasWei, maxPriorityFeePerGasWei };
    },
    nonceAt: (address, blockNumber) => call('eth_getTransactionCount', () => provider.getTransactionCount(address, blockNumber)),
    async receipt(txHash) {
      const receipt = await call('eth_getTransactionReceipt', () => provider.getTransactionReceipt(txHash));
      if (!receipt) return null;
      return { txHash: receipt.hash.toLowerCase(), status: receipt.status ?? 0, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash.toLowerCase() };
    },
    async tokenDecimals(tokenContract) {
      const data = await ethCall(tokenContract, ERC20_INTERFACE.encodeFunctionData('decimals', []), 'latest');
      const [decimals] = ERC20_INTERFACE.decodeFunctionResult('decimals', data) as unknown as [bigint];
      return Number(decimals);
    },
    async sendRawTransaction(rawTransaction) {
      try {
        await withTimeout(options.requestTimeoutMs, () => provider.send('eth_sendRawTransaction', [rawTransaction]));
        return BroadcastOutcomes.accepted;
      } catch (error) {
        if (error instanceof TimeoutError) {
          throw new ChainWithdrawalError(ChainWithdrawalErrorCodes.rpcFailed, `eth_sendRawTransaction timed out after ${options.requestTimeoutMs} ms`, { cause: error });
        }
        const outcome = classifyBroadcastError(error);
        if (outcome) return outcome;
        const message = nodeMessage(error);
        const reachable = isError(error, 'SERVER_ERROR') || isError(error, 'TIMEOUT') || isError(error, 'NETWORK_ERROR');
        throw new ChainWithdrawalError(
          reachable ? ChainWithdrawalErrorCodes.rpcFailed : ChainWithdrawalErrorCodes.broadcastRefused,
          `eth_sendRawTransaction: ${message}`,
          { cause: error },
        );
      }
    },
    close: () => provider.destroy(),
  };
}

/**
 * The node answers that mean "the transaction (or one of ours under its nonce) is already there":
 * geth/anvil `already known`/`already imported`, `nonce too low`, `replacement transaction underpriced`.
 */
export function classifyBroadcastError(error: unknown): BroadcastOutcome | undefined {
  if (isError(error, 'NONCE_EXPIRED')) return BroadcastOutcomes.nonceUsed;
  if (isError(error, 'REPLACEMENT_UNDERPRICED')) return BroadcastOutcomes.replacedByPending;
  const message = nodeMessage(error);
  if (/already known|already imported|known transaction|already exists/i.test(message)) return BroadcastOutcomes.alreadyKnown;
  if (/nonce/i.test(message) && /too low/i.test(message)) return BroadcastOutcomes.nonceUsed;
  if (/replacement transaction/i.test(message) && /underpriced/i.test(message)) return BroadcastOutcomes.replacedByPending;
  return undefined;
}

/** The node's own message when ethers wrapped a JSON-RPC error, else the error's message. */
function nodeMessage(error: unknown): string {
  const info = (error as { info?: { error?: { message?: unknown } } } | undefined)?.info;
  const inner = info?.error?.message;
  if (typeof inner === 'string' && inner.length > 0) return inner.slice(0, 400);
  return (error instanceof Error ? error.message : String(error)).slice(0, 400);
}

/**
 * Several nodes as one: each call goes to the node that answered last, and when that node cannot be
 * reached (CHAIN_ERR_RPC_FAILED: timeout, connection refused, server error) to the next, each at most
 * once per call. A refusal (CHAIN_ERR_BROADCAST_REFUSED) is an answer and is not retried elsewhere.
 * Sending the same signed transaction to a second node is harmless: it is the same transaction.
 */
export function createFailoverWithdrawalRpc(nodes: readonly WithdrawalRpc[]): WithdrawalRpc {
  const first = nodes[0];
  if (first === undefined) throw new ChainWithdrawalError(ChainWithdrawalErrorCodes.rpcFailed, 'no node to call');
  if (nodes.length === 1) return first;
  let preferred = 0;
  const call = async <T>(work: (node: WithdrawalRpc) => Promise<T>): Promise<T> => {
    let lastError: unknown;
    for (let offset = 0; offset < nodes.length; offset += 1) {
      const index = (preferred + offset) % nodes.length;
      try {
        const result = await work(nodes[index] as WithdrawalRpc);
        preferred = index;
        return result;
      } catch (error) {
        if (!(error instanceof ChainWithdrawalError) || error.code !== ChainWithdrawalErrorCodes.rpcFailed) throw error;
        lastError = error;
      }
    }
    throw lastError;
  };
  return {
    chainId: first.chainId,
    headBlock: () => call((node) => node.headBlock()),
    walletSnapshot: (options) => call((node) => node.walletSnapshot(options)),
    feeQuote: () => call((node) => node.feeQuote()),
    nonceAt: (address, blockNumber) => call((node) => node.nonceAt(address, blockNumber)),
    receipt: (txHash) => call((node) => node.receipt(txHash)),
    tokenDecimals: (tokenContract) => call((node) => node.tokenDecimals(tokenContract)),
    sendRawTransaction: (rawTransaction) => call((node) => node.sendRawTransaction(rawTransaction)),
    close: () => {
      for (const node of nodes) node.close();
    },
  };
}
