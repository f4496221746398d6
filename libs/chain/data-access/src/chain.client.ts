import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import type { Breaker } from '@strongbox/shared-resilience';
import { withTimeout } from '@strongbox/shared-resilience';

/** Read side of the chain node, behind a circuit breaker and a timeout on every call. */
export interface ChainReader {
  readonly chainId: number;
  /** Current head block number. Throws when the node is unreachable or the breaker is open. */
  headBlock(): Promise<number>;
  /** Ends the provider's timers and sockets. */
  close(): void;
}

/**
 * Connects to the first RPC URL (failover between several is built with the deposit scanner).
 * `staticNetwork` stops ethers from probing the network in the background, which would otherwise
 * retry forever while the node is down.
 */
export function createChainReader(options: { rpcUrl: string; chainId: number; requestTimeoutMs: number; breaker: Breaker }): ChainReader {
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.requestTimeoutMs;
  const network = Network.from(options.chainId);
  const provider = new JsonRpcProvider(request, network, { staticNetwork: network, batchMaxCount: 1 });
  return {
    chainId: options.chainId,
    headBlock: () =>
      options.breaker.execute(() => withTimeout(options.requestTimeoutMs, () => provider.getBlockNumber())),
    close: () => provider.destroy(),
  };
}
