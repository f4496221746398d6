import type { Breaker } from '@strongbox/shared-resilience';
import { withTimeout } from '@strongbox/shared-resilience';
import { ChainError, ChainErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// A small JSON-RPC client for the reads the deposit scanner needs. Written against `fetch` rather
// than through an ethers provider so that every answer is validated here, field by field, before
// anything is built on it: a node that answers garbage, the wrong chain, or a block other than the
// one asked for is a failure of the node, never data. Several endpoints may be configured; a call
// that fails on one is tried on the next, and the next becomes the preferred one.
// ---------------------------------------------------------------------------------------------

/** Most calls one JSON-RPC batch carries; longer lists are split. */
export const RPC_BATCH_CALLS_MAX = 100;
/** Largest answer body read; a bigger one is refused as invalid (a bounded range keeps real answers small). */
export const RPC_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;
/** Most endpoints one client fails over between. */
export const RPC_ENDPOINTS_MAX = 8;
/** Most logs accepted from one `eth_getLogs`; more means the range must be smaller. */
export const RPC_LOGS_MAX = 100_000;

const HASH_PATTERN = /^0x[0-9a-f]{64}$/;
const ADDRESS_PATTERN = /^0x[0-9a-f]{40}$/;
const QUANTITY_PATTERN = /^0x(0|[1-9a-f][0-9a-f]{0,15})$/;
const DATA_PATTERN = /^0x([0-9a-f]{2})*$/;

export interface BlockHeader {
  readonly number: number;
  readonly hash: string;
  readonly parentHash: string;
}

export interface ChainLog {
  /** Lower-case contract address. */
  readonly address: string;
  /** Lower-case topics. */
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly logIndex: number;
}

export interface TransactionReceipt {
  readonly transactionHash: string;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly logs: readonly ChainLog[];
}

/** Read side of the node used by the deposit scanner; every method validates what it returns. */
export interface ChainRpcClient {
  readonly chainId: number;
  /** The head block number. */
  blockNumber(): Promise<number>;
  /** The headers of `numbers`, in the same order; throws when the node lacks one. */
  blockHeaders(numbers: readonly number[]): Promise<BlockHeader[]>;
  /** The head block number and the headers of `numbers`, in one round trip. */
  headAndHeaders(numbers: readonly number[]): Promise<{ head: number; headers: BlockHeader[] }>;
  /** Logs of `addresses` with `topic0` in the inclusive range. */
  logs(filter: { fromBlock: number; toBlock: number; addresses: readonly string[]; topic0: string }): Promise<ChainLog[]>;
  /** The receipt, or null when the node does not know the transaction (or it is still pending). */
  transactionReceipt(txHash: string): Promise<TransactionReceipt | null>;
  /** The endpoint calls currently go to first (redacted to its origin). */
  preferredEndpoint(): string;
}

export interface ChainRpcClientOptions {
  /** One or more endpoints, in order of preference. */
  readonly urls: readonly string[];
  readonly chainId: number;
  /** Time limit of one HTTP request to one endpoint. */
  readonly requestTimeoutMs: number;
  /** Every call goes through it: failures open it, and an open breaker refuses calls at once. */
  readonly breaker?: Breaker;
  /** Called when a call moves from one endpoint to the next. */
  readonly onFailover?: (from: string, to: string, error: unknown) => void;
}

interface RpcCall {
  readonly method: string;
  readonly params: readonly unknown[];
}

function invalid(message: string, cause?: unknown): ChainError {
  return new ChainError(ChainErrorCodes.rpcInvalidAnswer, message, cause === undefined ? undefined : { cause });
}

function quantity(value: unknown, what: string): number {
  if (typeof value !== 'string' || !QUANTITY_PATTERN.test(value)) throw invalid(`${what} is not a hex quantity: ${JSON.stringify(value)?.slice(0, 80)}`);
  const parsed = Number.parseInt(value.slice(2), 16);
  if (!Number.isSafeInteger(parsed)) throw invalid(`${what} is too large: ${value}`);
  return parsed;
}

function hash(value: unknown, what: string): string {
  if (typeof value !== 'string' || !HASH_PATTERN.test(value.toLowerCase())) throw invalid(`${what} is not a 32-byte hash: ${JSON.stringify(value)?.slice(0, 80)}`);
  return value.toLowerCase();
}

function address(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ADDRESS_PATTERN.test(value.toLowerCase())) throw invalid(`${what} is not an address: ${JSON.stringify(value)?.slice(0, 80)}`);
  return value.toLowerCase();
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function parseHeader(value: unknown, expectedNumber: number): BlockHeader {
  const block = record(value, `block ${expectedNumber}`);
  const number = quantity(block['number'], 'block number');
  if (number !== expectedNumber) throw invalid(`asked for block ${expectedNumber}, got block ${number}`);
  return { number, hash: hash(block['hash'], 'block hash'), parentHash: hash(block['parentHash'], 'parent hash') };
}

function parseLog(value: unknown): ChainLog {
  const log = record(value, 'log');
  if (log['removed'] === true) throw invalid('a log marked removed in a range query');
  const topics = log['topics'];
  if (!Array.isArray(topics) || topics.length > 4) throw invalid('log topics are not a list of at most 4');
  const data = log['data'];
  if (typeof data !== 'string' || !DATA_PATTERN.test(data.toLowerCase())) throw invalid('log data is not hex');
  return {
    address: address(log['address'], 'log address'),
    topics: topics.map((topic, index) => hash(topic, `topic ${index}`)),
    data: data.toLowerCase(),
    blockNumber: quantity(log['blockNumber'], 'log block number'),
    blockHash: hash(log['blockHash'], 'log block hash'),
    transactionHash: hash(log['transactionHash'], 'log transaction hash'),
    logIndex: quantity(log['logIndex'], 'log index'),
  };
}

function toQuantity(value: number): string {
  return `0x${value.toString(16)}`;
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
}

/**
 * Creates the client. Endpoints are tried in order, starting with the preferred one; the first to
 * answer validly wins and becomes preferred. The chain id of each endpoint is checked once, before
 * its first answer is used.
 *
 * @example
 * const rpc = createChainRpcClient({ urls: ['http://127.0.0.1:8545'], chainId: 31337, requestTimeoutMs: 5_000, breaker });
 * const head = await rpc.blockNumber();
 */
export function createChainRpcClient(options: ChainRpcClientOptions): ChainRpcClient {
  if (options.urls.length === 0 || options.urls.length > RPC_ENDPOINTS_MAX) {
    throw new ChainError(ChainErrorCodes.limit, `between 1 and ${RPC_ENDPOINTS_MAX} RPC endpoints, got ${options.urls.length}`);
  }
  const urls = [...options.urls];
  const urlAt = (index: number): string => urls[index % urls.length] ?? urls[0] ?? '';
  const verifiedChain = new Set<string>();
  let preferred = 0;
  let nextId = 1;

  /** One HTTP round trip carrying `calls` as a batch; returns the results in order. */
  const post = async (url: string, calls: readonly RpcCall[], signal: AbortSignal): Promise<unknown[]> => {
    const ids = calls.map(() => nextId++);
    const body = JSON.stringify(calls.map((call, index) => ({ jsonrpc: '2.0', id: ids[index], method: call.method, params: call.params })));
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
    } catch (error) {
      throw new ChainError(ChainErrorCodes.rpcUnreachable, `RPC ${origin(url)} unreachable`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new ChainError(ChainErrorCodes.rpcUnreachable, `RPC ${origin(url)} answered HTTP ${response.status}`);
    }
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > RPC_RESPONSE_BYTES_MAX) {
      await response.body?.cancel().catch(() => undefined);
      throw invalid(`RPC answer of ${length} bytes is over ${RPC_RESPONSE_BYTES_MAX}`);
    }
    const text = await response.text();
    if (text.length > RPC_RESPONSE_BYTES_MAX) throw invalid(`RPC answer of ${text.length} characters is over ${RPC_RESPONSE_BYTES_MAX}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw invalid(`RPC ${origin(url)} answered something that is not JSON`, error);
    }
    // A node may answer a batch of one with a single object.
    const answers = Array.isArray(parsed) ? parsed : [parsed];
    const byId = new Map<number, Record<string, unknown>>();
    for (const answer of answers) {
      const entry = record(answer, 'JSON-RPC answer');
      if (entry['jsonrpc'] !== '2.0' || typeof entry['id'] !== 'number') throw invalid('not a JSON-RPC 2.0 answer');
      byId.set(entry['id'], entry);
    }
    return ids.map((id, index) => {
      const method = calls[index]?.method ?? 'a call';
      const entry = byId.get(id);
      if (!entry) throw invalid(`no answer to ${method} in the batch`);
      if (entry['error'] !== undefined) {
        const error = record(entry['error'], 'JSON-RPC error');
        throw new ChainError(ChainErrorCodes.rpcRemoteError, `${method}: ${String(error['message']).slice(0, 200)} (${String(error['code'])})`);
      }
      if (!('result' in entry)) throw invalid(`answer to ${method} has neither result nor error`);
      return entry['result'];
    });
  };

  /** Runs `calls` on one endpoint, checking its chain id the first time. */
  const onEndpoint = async (url: string, calls: readonly RpcCall[]): Promise<unknown[]> =>
    withTimeout(options.requestTimeoutMs, async (signal) => {
      if (!verifiedChain.has(url)) {
        const [chainIdHex] = await post(url, [{ method: 'eth_chainId', params: [] }], signal);
        const chainId = quantity(chainIdHex, 'chain id');
        if (chainId !== options.chainId) throw invalid(`RPC ${origin(url)} serves chain ${chainId}, not ${options.chainId}`);
        verifiedChain.add(url);
      }
      const results: unknown[] = [];
      for (let start = 0; start < calls.length; start += RPC_BATCH_CALLS_MAX) {
        results.push(...(await post(url, calls.slice(start, start + RPC_BATCH_CALLS_MAX), signal)));
      }
      return results;
    });

  /** Runs `calls` (and validates them with `parse`) on the preferred endpoint, failing over in order. */
  const run = async <T>(calls: readonly RpcCall[], parse: (results: unknown[]) => T): Promise<T> => {
    const attempt = async (): Promise<T> => {
      let lastError: unknown;
      for (let tried = 0; tried < urls.length; tried += 1) {
        const index = (preferred + tried) % urls.length;
        const url = urlAt(index);
        try {
          const result = parse(await onEndpoint(url, calls));
          preferred = index;
          return result;
        } catch (error) {
          lastError = error;
          // A remote refusal of a well-formed call would be refused by any node alike.
          if (error instanceof ChainError && error.code === ChainErrorCodes.rpcRemoteError) throw error;
          const next = urlAt(index + 1);
          if (urls.length > 1) options.onFailover?.(origin(url), origin(next), error);
        }
      }
      throw lastError instanceof ChainError ? lastError : new ChainError(ChainErrorCodes.rpcUnreachable, 'no RPC endpoint answered', { cause: lastError });
    };
    return options.breaker ? options.breaker.execute(() => attempt()) : attempt();
  };

  return {
    chainId: options.chainId,
    blockNumber: () => run([{ method: 'eth_blockNumber', params: [] }], ([result]) => quantity(result, 'head block number')),
    headAndHeaders: (numbers) =>
      run(
        [{ method: 'eth_blockNumber', params: [] }, ...numbers.map((number) => ({ method: 'eth_getBlockByNumber', params: [toQuantity(number), false] }))],
        ([headResult, ...results]) => ({
          head: quantity(headResult, 'head block number'),
          headers: results.map((result, index) => {
            if (result === null) throw invalid(`the node has no block ${numbers[index]}`);
            return parseHeader(result, numbers[index] ?? -1);
          }),
        }),
      ),
    blockHeaders: (numbers) => {
      if (numbers.length === 0) return Promise.resolve([]);
      return run(
        numbers.map((number) => ({ method: 'eth_getBlockByNumber', params: [toQuantity(number), false] })),
        (results) =>
          results.map((result, index) => {
            if (result === null) throw invalid(`the node has no block ${numbers[index]}`);
            return parseHeader(result, numbers[index] ?? -1);
          }),
      );
    },
    logs: (filter) => {
      if (filter.fromBlock > filter.toBlock) throw new RangeError(`logs: fromBlock ${filter.fromBlock} > toBlock ${filter.toBlock}`);
      const params = [{ fromBlock: toQuantity(filter.fromBlock), toBlock: toQuantity(filter.toBlock), address: filter.addresses, topics: [filter.topic0] }];
      return run([{ method: 'eth_getLogs', params }], ([result]) => {
        if (!Array.isArray(result)) throw invalid('eth_getLogs did not answer a list');
        if (result.length > RPC_LOGS_MAX) throw invalid(`eth_getLogs answered ${result.length} logs, over ${RPC_LOGS_MAX}`);
        const wanted = new Set(filter.addresses.map((item) => item.toLowerCase()));
        return result.map((item) => {
          const log = parseLog(item);
          // The node must answer what was asked: nothing outside the range or from another contract.
          if (log.blockNumber < filter.fromBlock || log.blockNumber > filter.toBlock) throw invalid(`log of block ${log.blockNumber} outside the range asked for`);
          if (!wanted.has(log.address)) throw invalid(`log of contract ${log.address}, which was not asked for`);
          if (log.topics[0] !== filter.topic0) throw invalid('log with another event signature than asked for');
          return log;
        });
      });
    },
    transactionReceipt: (txHash) =>
      run([{ method: 'eth_getTransactionReceipt', params: [txHash] }], ([result]) => {
        if (result === null) return null;
        const receipt = record(result, 'receipt');
        const transactionHash = hash(receipt['transactionHash'], 'receipt transaction hash');
        if (transactionHash !== txHash.toLowerCase()) throw invalid('receipt of another transaction');
        const logs = receipt['logs'];
        if (!Array.isArray(logs)) throw invalid('receipt logs are not a list');
        return {
          transactionHash,
          blockNumber: quantity(receipt['blockNumber'], 'receipt block number'),
          blockHash: hash(receipt['blockHash'], 'receipt block hash'),
          logs: logs.map(parseLog),
        };
      }),
    preferredEndpoint: () => origin(urlAt(preferred)),
  };
}
