import { startChainWatcher } from '@strongbox/chain-feature';
import { runService } from '@strongbox/shared-runtime';
import { chainWatcherConfigSchema } from './config';

await runService(
  { service: 'chain-watcher', configSchema: chainWatcherConfigSchema, secretKeys: ['DATABASE_URL', 'CHAIN_RPC_URL', 'CHAIN_DEPOSIT_XPUB', 'CHAIN_HOT_WALLET_PRIVATE_KEY', 'CHAIN_HOT_WALLET_ENCRYPTION_KEY'], start: startChainWatcher },
  process.env,
);
