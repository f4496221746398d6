export * as chainSchema from './chain.schema';
export { nodeStatusTable } from './chain.schema';
export { chainMigrationsFolder } from './migrations';
export { createChainReader, type ChainReader } from './chain.client';
export { recordNodeStatus } from './node-status.repository';
