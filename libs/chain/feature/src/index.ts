export { startChainWatcher, type ChainWatcherConfig } from './chain-watcher.service';
