/** Stable error codes of the chain-watcher's feature lib; a code is never reused for another meaning. */
export const ChainFeatureErrorCodes = {
  /** The configuration contradicts itself (e.g. reorg depth not above the confirmations). */
  invalidConfig: 'CHAIN_ERR_INVALID_CONFIG',
  /** The node's head is below the block already processed: its answer is not trusted. */
  headWentBackwards: 'CHAIN_ERR_HEAD_WENT_BACKWARDS',
  /** The node has produced no new block for longer than allowed. */
  nodeStalled: 'CHAIN_ERR_NODE_STALLED',
  /** The node's answers contradict each other (a log's block hash is not its block's). */
  inconsistentNode: 'CHAIN_ERR_INCONSISTENT_NODE',
  /** No stored block hash matches the node any more: the reorg is deeper than the hashes kept. */
  reorgTooDeep: 'CHAIN_ERR_REORG_TOO_DEEP',
} as const;
export type ChainFeatureErrorCode = (typeof ChainFeatureErrorCodes)[keyof typeof ChainFeatureErrorCodes];

/** A failure of the chain-watcher's use cases with a stable `code`; keeps `cause`. */
export class ChainFeatureError extends Error {
  override readonly name = 'ChainFeatureError';
  constructor(
    readonly code: ChainFeatureErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
