import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  ADDRESSES_PER_LOAD_MAX,
  commitScannedRange,
  DEPOSIT_AMOUNT_MAX,
  ensureScanCursor,
  loadDepositAddresses,
  readScanCursor,
  recordRangeRescanned,
  rewindToForkPoint,
  storedBlockHashes,
  type BlockHeader,
  type ChainLog,
  type ChainRpcClient,
  type DepositObservation,
  type DepositRow,
  type ScanCursor,
} from '@strongbox/chain-data-access';
import type { Database } from '@strongbox/shared-db';
import { getOrCreateCounter, getOrCreateGauge } from '@strongbox/shared-observability';
import { firstWatchedBlock, type WatchedTokens } from './deposit.config';
import { ChainFeatureError, ChainFeatureErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// The deposit scanner. One tick: check that the block under the cursor is still canonical (else
// walk back to the fork point and rewind), then scan from the cursor towards the head in bounded
// ranges. Each range is one transaction: observations, `detected`/`confirmed` events, recent block
// hashes and the cursor move together, so a crash between ranges loses and repeats nothing.
// ---------------------------------------------------------------------------------------------

/** keccak256("Transfer(address,address,uint256)"). */
export const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
/** Ranges one tick scans at most; a longer catch-up continues at the next tick. */
export const RANGES_PER_TICK_MAX = 50;
/** Address loads one refresh runs at most (ADDRESSES_PER_LOAD_MAX each); the rest come at the next range. */
const ADDRESS_LOADS_PER_REFRESH_MAX = 100;

export interface DepositScannerOptions {
  readonly database: Pick<Database<Record<string, unknown>>, 'db'>;
  readonly rpc: ChainRpcClient;
  readonly namespace: string;
  readonly tokens: WatchedTokens;
  readonly requiredConfirmations: number;
  /** Blocks per `eth_getLogs` range (the named maximum of a scan batch). */
  readonly scanBlocksMax: number;
  /** Recent block hashes kept below the cursor: the deepest reorg that is handled. */
  readonly reorgDepthMax: number;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly now?: () => Date;
}

export interface ScanTickResult {
  readonly head: number;
  readonly cursor: number;
  /** True when the cursor reached the head read at the start of the tick. */
  readonly caughtUp: boolean;
  /** Deposits to our addresses seen in the ranges of this tick (new or already known). */
  readonly depositsFound: number;
  readonly confirmed: readonly DepositRow[];
  /** Set when the tick found a reorg and rewound. */
  readonly reorg?: { readonly forkPoint: number; readonly depth: number; readonly reverted: number };
}

export interface DepositScanner {
  /** One tick; throws on any node or database failure (the supervising loop retries). */
  scanOnce(signal?: AbortSignal): Promise<ScanTickResult>;
  /** The durable cursor. */
  cursor(): Promise<ScanCursor>;
}

interface AddressOwner {
  readonly userId: string;
}

/** Decodes a Transfer log's `to`, `from` and amount; undefined when it is not a standard ERC-20 Transfer. */
function decodeTransfer(log: ChainLog): { from: string; to: string; amount: bigint } | undefined {
  if (log.topics.length !== 3 || log.topics[0] !== TRANSFER_TOPIC) return undefined;
  const [, fromTopic, toTopic] = log.topics as [string, string, string];
  // An address topic is 12 zero bytes and the 20-byte address.
  if (!fromTopic.startsWith('0x000000000000000000000000') || !toTopic.startsWith('0x000000000000000000000000')) return undefined;
  if (log.data.length !== 66) return undefined;
  return { from: `0x${fromTopic.slice(26)}`, to: `0x${toTopic.slice(26)}`, amount: BigInt(log.data) };
}

export function createDepositScanner(options: DepositScannerOptions): DepositScanner {
  const { database, rpc, logger, tokens } = options;
  const chainId = rpc.chainId;
  const now = options.now ?? (() => new Date());
  const startBlock = firstWatchedBlock(tokens);
  if (options.reorgDepthMax <= options.requiredConfirmations) {
    throw new ChainFeatureError(
      ChainFeatureErrorCodes.invalidConfig,
      `the reorg depth handled (${options.reorgDepthMax}) must exceed the required confirmations (${options.requiredConfirmations})`,
    );
  }

  const labels = { chain: String(chainId) };
  const blocksScanned = getOrCreateCounter(options.registry, { name: 'chain_blocks_scanned_total', help: 'Blocks the deposit scanner processed.', labelNames: ['chain'] });
  const detectedTotal = getOrCreateCounter(options.registry, { name: 'chain_deposits_detected_total', help: 'Deposits seen for the first time.', labelNames: ['chain', 'asset', 'dust'] });
  const confirmedTotal = getOrCreateCounter(options.registry, { name: 'chain_deposits_confirmed_total', help: 'Deposits that reached the required confirmations.', labelNames: ['chain', 'asset'] });
  const reorgsTotal = getOrCreateCounter(options.registry, { name: 'chain_reorgs_total', help: 'Reorgs found below the scan cursor.', labelNames: ['chain'] });
  const revertedTotal = getOrCreateCounter(options.registry, {
    name: 'chain_deposits_reverted_total',
    help: 'Confirmed deposits a reorg removed (each one raises an alert).',
    labelNames: ['chain', 'asset'],
  });
  const cursorGauge = getOrCreateGauge(options.registry, { name: 'chain_scan_cursor_block', help: 'Last block the deposit scanner processed.', labelNames: ['chain'] });
  const headGauge = getOrCreateGauge(options.registry, { name: 'chain_head_block', help: 'Head block the node reported last.', labelNames: ['chain'] });
  reorgsTotal.inc(labels, 0);
  blocksScanned.inc(labels, 0);

  // Addresses are only ever added, with growing derivation indexes: each load fetches the new ones.
  const owners = new Map<string, AddressOwner>();
  let nextIndex = 0;
  const refreshAddresses = async (): Promise<void> => {
    for (let loads = 0; loads < ADDRESS_LOADS_PER_REFRESH_MAX; loads += 1) {
      const rows = await loadDepositAddresses(database.db, chainId, nextIndex);
      for (const row of rows) {
        owners.set(row.address, { userId: row.userId });
        nextIndex = row.derivationIndex + 1;
      }
      if (rows.length < ADDRESSES_PER_LOAD_MAX) return;
    }
  };

  const contracts = tokens.flatMap((asset) => asset.contracts.map((contract) => ({ ...contract, asset })));
  const assetOf = new Map(contracts.map((contract) => [contract.address, contract]));

  /** Finds the highest block whose stored hash the node still has; throws past the kept window. */
  const findForkPoint = async (cursor: ScanCursor): Promise<{ number: number; hash: string | null }> => {
    const lowest = Math.max(startBlock - 1, cursor.blockNumber - options.reorgDepthMax);
    const stored = await storedBlockHashes(database.db, chainId, lowest, cursor.blockNumber);
    const numbers = [...stored.keys()].sort((a, b) => b - a);
    const headers = await rpc.blockHeaders(numbers);
    for (const header of headers) {
      if (stored.get(header.number) === header.hash) return { number: header.number, hash: header.hash };
    }
    // Nothing in the window still matches: the fork is deeper than the hashes kept. Refuse to guess.
    throw new ChainFeatureError(
      ChainFeatureErrorCodes.reorgTooDeep,
      `chain ${chainId}: no block between ${lowest} and ${cursor.blockNumber} matches its stored hash; the reorg is deeper than ${options.reorgDepthMax} blocks`,
    );
  };

  const observe = (logs: readonly ChainLog[], headerHashes: ReadonlyMap<number, string>): DepositObservation[] => {
    const observations: DepositObservation[] = [];
    // A log is one deposit however often a node lists it (anvil repeats logs after loading a state dump).
    const seen = new Set<string>();
    for (const log of logs) {
      const key = `${log.transactionHash}:${log.logIndex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const contract = assetOf.get(log.address);
      if (!contract || log.blockNumber < contract.fromBlock || (contract.toBlock !== null && log.blockNumber > contract.toBlock)) continue;
      const transfer = decodeTransfer(log);
      if (!transfer) continue;
      const owner = owners.get(transfer.to);
      if (!owner || transfer.amount === 0n) continue;
      const verified = headerHashes.get(log.blockNumber);
      if (verified !== undefined && verified !== log.blockHash) {
        throw new ChainFeatureError(ChainFeatureErrorCodes.inconsistentNode, `log of block ${log.blockNumber} carries hash ${log.blockHash}, the block is ${verified}`);
      }
      if (transfer.amount > DEPOSIT_AMOUNT_MAX) {
        logger.error({ alert: true, txHash: log.transactionHash, logIndex: log.logIndex, amount: transfer.amount.toString() }, 'a transfer larger than any amount the ledger takes; ignored');
        continue;
      }
      observations.push({
        txHash: log.transactionHash,
        logIndex: log.logIndex,
        userId: owner.userId,
        asset: contract.asset.asset,
        tokenContract: contract.address,
        toAddress: transfer.to,
        fromAddress: transfer.from,
        amount: transfer.amount,
        blockNumber: log.blockNumber,
        blockHash: log.blockHash,
        belowDustMinimum: transfer.amount < contract.asset.dustMinimumMinor,
      });
    }
    return observations;
  };

  /** Verifies that `headers` (sorted, the range's sampled blocks) chain onto each other and onto the cursor. */
  const verifyChain = (cursor: ScanCursor, headers: readonly BlockHeader[]): boolean => {
    let previous: BlockHeader | undefined;
    for (const header of headers) {
      if (header.number === cursor.blockNumber + 1 && cursor.blockHash !== null && header.parentHash !== cursor.blockHash) return false;
      if (previous && header.number === previous.number + 1 && header.parentHash !== previous.hash) return false;
      previous = header;
    }
    return true;
  };

  let reorgRescan: { fromBlock: number; toBlock: number; startedAt: Date; found: number } | undefined;

  // The cursor as this scanner last committed it; read from the table at the first tick and after
  // any failure. A stale value cannot do harm: every commit checks the row under a lock.
  let knownCursor: ScanCursor | undefined;

  const scanOnce = async (signal?: AbortSignal): Promise<ScanTickResult> => {
    try {
      const result = await tick(signal);
      knownCursor = { blockNumber: result.cursor, blockHash: result.cursorHash };
      return result;
    } catch (error) {
      knownCursor = undefined;
      throw error;
    }
  };

  const tick = async (signal?: AbortSignal): Promise<ScanTickResult & { cursorHash: string | null }> => {
    let cursor = knownCursor ?? (await ensureScanCursor(database.db, chainId, startBlock, now()));
    // The head and the block under the cursor in one round trip.
    const { head, headers: tips } = await rpc.headAndHeaders(cursor.blockHash === null ? [] : [cursor.blockNumber]);
    headGauge.set(labels, head);
    if (head < cursor.blockNumber) {
      throw new ChainFeatureError(ChainFeatureErrorCodes.headWentBackwards, `chain ${chainId}: the node's head ${head} is below the scan cursor ${cursor.blockNumber}`);
    }

    // 1. Is the block under the cursor still canonical?
    let reorg: ScanTickResult['reorg'];
    if (cursor.blockHash !== null) {
      const [tip] = tips;
      if (tip && tip.hash !== cursor.blockHash) {
        const fork = await findForkPoint(cursor);
        const depth = cursor.blockNumber - fork.number;
        const reason = `reorg on chain ${chainId}: block ${cursor.blockNumber} is now ${tip.hash}, was ${cursor.blockHash}; fork point ${fork.number} (depth ${depth})`;
        const rewound = await database.db.transaction(
          (tx) =>
            rewindToForkPoint(tx, { namespace: options.namespace, chainId, fromCursor: cursor.blockNumber, forkPoint: fork.number, forkHash: fork.hash, reason, now: now() }),
          { isolationLevel: 'read committed' },
        );
        reorgsTotal.inc(labels);
        logger.warn({ chainId, forkPoint: fork.number, depth, orphaned: rewound.orphaned, reverted: rewound.reverted.length }, 'reorg: rewound to the fork point');
        for (const deposit of rewound.reverted) {
          revertedTotal.inc({ ...labels, asset: deposit.asset });
          logger.error(
            { alert: true, chainId, txHash: deposit.txHash, logIndex: deposit.logIndex, userId: deposit.userId, asset: deposit.asset, amount: deposit.amount.toString(), depth },
            'a confirmed deposit was reorged out; deposit reverted published',
          );
        }
        reorg = { forkPoint: fork.number, depth, reverted: rewound.reverted.length };
        reorgRescan = { fromBlock: fork.number + 1, toBlock: Math.max(cursor.blockNumber, reorgRescan?.toBlock ?? 0), startedAt: now(), found: 0 };
        cursor = { blockNumber: fork.number, blockHash: fork.hash };
      }
    }

    // 2. Scan towards the head in bounded ranges.
    let depositsFound = 0;
    const confirmed: DepositRow[] = [];
    for (let ranges = 0; ranges < RANGES_PER_TICK_MAX && cursor.blockNumber < head && !signal?.aborted; ranges += 1) {
      const fromBlock = cursor.blockNumber + 1;
      const toBlock = Math.min(head, cursor.blockNumber + options.scanBlocksMax);
      const windowStart = Math.max(fromBlock, head - options.reorgDepthMax + 1);
      const numbers = new Set<number>([fromBlock, toBlock]);
      for (let number = windowStart; number <= toBlock; number += 1) numbers.add(number);
      const wanted = contracts.filter((contract) => contract.fromBlock <= toBlock && (contract.toBlock === null || contract.toBlock >= fromBlock));
      const [headers, logs] = await Promise.all([
        rpc.blockHeaders([...numbers].sort((a, b) => a - b)),
        wanted.length === 0 ? Promise.resolve([]) : rpc.logs({ fromBlock, toBlock, addresses: wanted.map((contract) => contract.address), topic0: TRANSFER_TOPIC }),
      ]);
      if (!verifyChain(cursor, headers)) {
        // The chain changed under the scan: the next tick finds the fork from the cursor.
        logger.warn({ chainId, fromBlock, toBlock }, 'blocks of the range do not chain onto the cursor; re-checking at the next tick');
        break;
      }
      // Loaded after the logs: an address assigned before a transfer to it was mined is known here.
      await refreshAddresses();
      const headerHashes = new Map(headers.map((header) => [header.number, header.hash]));
      const observations = observe(logs, headerHashes);
      const last = headers[headers.length - 1];
      if (!last) throw new ChainFeatureError(ChainFeatureErrorCodes.inconsistentNode, `no header for blocks ${fromBlock}..${toBlock}`);
      const committed = await database.db.transaction(
        async (tx) => {
          const result = await commitScannedRange(tx, {
            namespace: options.namespace,
            chainId,
            fromCursor: cursor.blockNumber,
            toBlock: last,
            headers: headers.filter((header) => header.number >= windowStart),
            observations,
            requiredConfirmations: options.requiredConfirmations,
            keptBlocks: options.reorgDepthMax,
            now: now(),
          });
          if (reorgRescan) {
            reorgRescan.found += observations.length;
            if (last.number >= reorgRescan.toBlock) {
              await recordRangeRescanned(tx, {
                namespace: options.namespace,
                chainId,
                fromBlock: reorgRescan.fromBlock,
                toBlock: last.number,
                depositsFound: reorgRescan.found,
                reason: 'reorg',
                startedAt: reorgRescan.startedAt,
                finishedAt: now(),
              });
            }
          }
          return result;
        },
        { isolationLevel: 'read committed' },
      );
      if (reorgRescan && last.number >= reorgRescan.toBlock) reorgRescan = undefined;
      blocksScanned.inc(labels, last.number - cursor.blockNumber);
      for (const observation of committed.detected) detectedTotal.inc({ ...labels, asset: observation.asset, dust: String(observation.belowDustMinimum) });
      for (const deposit of committed.confirmed) confirmedTotal.inc({ ...labels, asset: deposit.asset });
      depositsFound += observations.length;
      confirmed.push(...committed.confirmed);
      cursor = { blockNumber: last.number, blockHash: last.hash };
      cursorGauge.set(labels, cursor.blockNumber);
    }
    return { head, cursor: cursor.blockNumber, cursorHash: cursor.blockHash, caughtUp: cursor.blockNumber >= head, depositsFound, confirmed, ...(reorg ? { reorg } : {}) };
  };

  return {
    scanOnce,
    async cursor() {
      return (await readScanCursor(database.db, chainId)) ?? { blockNumber: startBlock - 1, blockHash: null };
    },
  };
}
