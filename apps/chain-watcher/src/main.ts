import { startChainWatcher } from '@strongbox/chain-feature';
import { runService } from '@strongbox/shared-runtime';
import { chainWatcherConfigSchema } from './config';

await runService(
  { service: 'chain-watcher', configSchema: chainWatcherConfigSchema, secretKeys: ['DATABASE_URL', 'CHAIN_RPC_URL', 'CHAIN_DEPOSIT_XPUB'], start: startChainWatcher },
  process.env,
);
