import { z } from 'zod';
import { commonEnv, databaseEnv, natsEnv, strictInteger } from '@strongbox/shared-config';

/** Everything chain-watcher reads from its environment; see `.env.example`. */
export const chainWatcherConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...natsEnv.shape,
  CHAIN_RPC_URL: z.url({ protocol: /^(http|https|ws|wss)$/ }).describe('JSON-RPC URL of the EVM node.'),
  CHAIN_ID: strictInteger({ min: 1, max: 2 ** 31 - 1 }).default(31337).describe('EVM chain id the node must serve.'),
  CHAIN_POLL_INTERVAL_MS: strictInteger({ min: 100, max: 60_000 }).default(2_000).describe('How often the head block is read.'),
  CHAIN_RPC_TIMEOUT_MS: strictInteger({ min: 100, max: 60_000 }).default(5_000).describe('Time limit of one JSON-RPC call.'),
});
