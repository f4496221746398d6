import type { Logger } from 'pino';
import type { Breaker } from '@strongbox/shared-resilience';
import type { ChainRpcClient } from '@strongbox/chain-data-access';
import { ChainFeatureError, ChainFeatureErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// The node's health as the watcher sees it. A probe reads the head through the breaker and counts
// as a failure when the node is unreachable, answers garbage, reports a head below what was
// already processed, or has produced no block for longer than the stall limit. The breaker opens
// after a run of failures: the node is then `down`. When a trial call succeeds again it turns
// `recovering`, and `up` only once the recovery re-scan has caught up.
// ---------------------------------------------------------------------------------------------

export const NodeStates = {
  up: 'up',
  down: 'down',
  /** The node answers again; the watcher re-scans what it missed before saying it is up. */
  recovering: 'recovering',
} as const;
export type NodeState = (typeof NodeStates)[keyof typeof NodeStates];

export interface NodeProbeResult {
  /** The head read, when the probe succeeded. */
  readonly head: number | undefined;
  readonly error: unknown;
}

export interface NodeHealth {
  /** Reads the head once through the breaker; never throws. */
  probe(signal?: AbortSignal): Promise<NodeProbeResult>;
  /** True while the breaker refuses calls. */
  breakerOpen(): boolean;
  /** Last head seen and when it last advanced. */
  lastHead(): { block: number; advancedAt: Date } | undefined;
}

/**
 * @param floor the lowest head that is believable (the scan cursor): a head below it went backwards.
 */
export function createNodeHealth(options: {
  rpc: ChainRpcClient;
  breaker: Breaker;
  stallTimeoutMs: number;
  floor: () => Promise<number>;
  logger: Logger;
  now?: () => Date;
}): NodeHealth {
  const now = options.now ?? (() => new Date());
  let last: { block: number; advancedAt: Date } | undefined;
  return {
    async probe() {
      try {
        const head = await options.breaker.execute(async () => {
          const block = await options.rpc.blockNumber();
          const floor = await options.floor();
          if (block < floor) {
            throw new ChainFeatureError(ChainFeatureErrorCodes.headWentBackwards, `the node reports head ${block}, below block ${floor} already processed`);
          }
          const at = now();
          if (last === undefined || block > last.block) {
            last = { block, advancedAt: at };
          } else if (block < last.block) {
            // Below the last head but not below the cursor: a shorter fork; believable, but noted.
            options.logger.warn({ head: block, previous: last.block }, 'the node head moved back');
            last = { block, advancedAt: at };
          } else if (at.getTime() - last.advancedAt.getTime() > options.stallTimeoutMs) {
            throw new ChainFeatureError(
              ChainFeatureErrorCodes.nodeStalled,
              `no new block since ${last.advancedAt.toISOString()} (head ${block}); stall limit ${options.stallTimeoutMs} ms`,
            );
          }
          return block;
        });
        return { head, error: undefined };
      } catch (error) {
        return { head: undefined, error };
      }
    },
    breakerOpen: () => {
      const state = options.breaker.state();
      return state === 'open' || state === 'isolated';
    },
    lastHead: () => last,
  };
}
