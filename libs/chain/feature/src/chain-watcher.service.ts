import { setTimeout as sleep } from 'node:timers/promises';
import { createCircuitBreaker, superviseLoop } from '@strongbox/shared-resilience';
import type { RuntimeConfig, ServiceContext } from '@strongbox/shared-runtime';
import { chainMigrationsFolder, chainSchema, createChainReader, recordNodeStatus } from '@strongbox/chain-data-access';

export interface ChainWatcherConfig extends RuntimeConfig {
  readonly CHAIN_RPC_URL: string;
  readonly CHAIN_ID: number;
  readonly CHAIN_POLL_INTERVAL_MS: number;
  readonly CHAIN_RPC_TIMEOUT_MS: number;
}

/** Consecutive failed head reads that open the node's breaker. */
const NODE_FAILURES_TO_OPEN = 3;
const NODE_HALF_OPEN_AFTER_MS = 5_000;

/**
 * chain-watcher: watches the node's head block behind a circuit breaker, reports it in /readyz and
 * announces every up/down change through the outbox.
 */
export async function startChainWatcher(context: ServiceContext<ChainWatcherConfig>): Promise<void> {
  const { config, namespace, logger, registry } = context;
  const database = await context.openDatabase({ tables: chainSchema, migrationsFolder: chainMigrationsFolder });
  const breaker = createCircuitBreaker({
    name: 'chain-rpc',
    consecutiveFailures: NODE_FAILURES_TO_OPEN,
    halfOpenAfterMs: NODE_HALF_OPEN_AFTER_MS,
    registry,
  });
  const reader = createChainReader({
    rpcUrl: config.CHAIN_RPC_URL,
    chainId: config.CHAIN_ID,
    requestTimeoutMs: config.CHAIN_RPC_TIMEOUT_MS,
    breaker,
  });
  let head: { block: number; seenAt: Date } | null = null;
  let lastError: string | null = null;

  context.readiness.add({
    name: 'chain',
    // The watcher stays ready while the node is down: it is the one that notices recovery.
    required: false,
    check: async () => ({
      up: head !== null && breaker.state() === 'closed',
      detail: {
        chainId: config.CHAIN_ID,
        headBlock: head?.block ?? null,
        headSeenAt: head?.seenAt.toISOString() ?? null,
        breaker: breaker.state(),
        lastError,
      },
    }),
  });

  const setStatus = (status: 'up' | 'down', headBlock: number | null, reason: string | null) =>
    database.db.transaction(
      (tx) => recordNodeStatus(tx, { namespace, chainId: config.CHAIN_ID, status, headBlock, reason }),
      { isolationLevel: 'read committed' },
    );

  const loop = superviseLoop({
    name: 'chain-head-monitor',
    logger,
    registry,
    delayMsInitial: 500,
    delayMsMax: 10_000,
    consecutiveErrorsAlert: 10,
    run: async (signal) => {
      while (!signal.aborted) {
        try {
          const block = await reader.headBlock();
          head = { block, seenAt: new Date() };
          lastError = null;
          await setStatus('up', block, null);
        } catch (error) {
          lastError = error instanceof Error ? error.message : String(error);
          if (breaker.state() !== 'closed') await setStatus('down', head?.block ?? null, lastError);
          logger.warn({ err: error, breaker: breaker.state() }, 'chain head read failed');
        }
        await sleep(config.CHAIN_POLL_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      }
    },
  });
  context.onShutdown('chain head monitor', async () => {
    await loop.stop();
    reader.close();
  });
}
