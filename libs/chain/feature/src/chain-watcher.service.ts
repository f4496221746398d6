import { setTimeout as sleep } from 'node:timers/promises';
import { accountOpenedV1, ChainCommandErrors, claimDepositV1, getDepositAddressV1 } from '@strongbox/shared-contracts';
import { CommandError, commandRoute, Flags, serveCommands, setFlag, watchFlags, type AnyCommandRoute } from '@strongbox/shared-messaging';
import { createCircuitBreaker, superviseLoop, withTimeout } from '@strongbox/shared-resilience';
import { alertWhenBreakerStaysOpen, consumeEventOnce, startServiceInboxHousekeeping, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import {
  assignDepositAddress,
  chainMigrationsFolder,
  chainSchema,
  createChainRpcClient,
  createDepositAddressDeriver,
  findDepositAddress,
  readScanCursor,
  recordNodeStatus,
  recordRangeRescanned,
  nodeStatusTable,
  subscribeNewHeads,
} from '@strongbox/chain-data-access';
import { getOrCreateGauge } from '@strongbox/shared-observability';
import { eq } from 'drizzle-orm';
import { createDepositClaims } from './deposit.claims';
import { firstWatchedBlock, type WatchedTokens } from './deposit.config';
import { createDepositScanner } from './deposit.scanner';
import { createNodeHealth, NodeStates, type NodeState } from './node-health.monitor';
import type { ChainWithdrawalConfig } from './withdrawals.config';
import { startWithdrawalSender } from './withdrawals.sender';

export interface ChainWatcherConfig extends RuntimeConfig, ChainWithdrawalConfig {
  /** One or more JSON-RPC URLs, comma-separated, in order of preference. */
  readonly CHAIN_RPC_URL: string;
  readonly CHAIN_ID: number;
  readonly CHAIN_POLL_INTERVAL_MS: number;
  /** WebSocket URL for `newHeads` wake-ups; polling only when absent. */
  readonly CHAIN_WS_URL?: string | undefined;
  readonly CHAIN_RPC_TIMEOUT_MS: number;
  readonly CHAIN_DEPOSIT_XPUB: string;
  readonly CHAIN_DEPOSIT_TOKENS: WatchedTokens;
  readonly CHAIN_CONFIRMATIONS: number;
  readonly CHAIN_SCAN_BLOCKS_MAX: number;
  readonly CHAIN_REORG_DEPTH_MAX: number;
  readonly CHAIN_HEALTH_INTERVAL_MS: number;
  readonly CHAIN_STALL_TIMEOUT_MS: number;
}

/** Consecutive failed node calls that open the node's breaker, and how long it stays open before a trial. */
const NODE_FAILURES_TO_OPEN = 3;
const NODE_HALF_OPEN_AFTER_MS = 2_000;
const FLAG_TIMEOUT_MS = 5_000;
const COMMAND_STOP_TIMEOUT_MS = 10_000;
const LOOP_STOP_TIMEOUT_MS = 15_000;
/** Who the watcher says switched the maintenance flag; it only ever clears what it set itself. */
const FLAG_SETTER = 'chain-watcher';

/**
 * chain-watcher (deposit side): assigns deposit addresses when the ledger opens a user's accounts,
 * scans the chain for token transfers to them, publishes `detected`/`confirmed` (and `reverted`
 * after a deep reorg), watches the node's health — maintenance on while it is down, a recovery
 * re-scan when it returns — and answers the deposit-address and claim commands.
 */
export async function startChainWatcher(context: ServiceContext<ChainWatcherConfig>): Promise<void> {
  const { config, namespace, logger, registry } = context;
  const chainId = config.CHAIN_ID;
  const database = await context.openDatabase({ tables: chainSchema, migrationsFolder: chainMigrationsFolder });
  startServiceInboxHousekeeping(context, database);
  const deriver = createDepositAddressDeriver(config.CHAIN_DEPOSIT_XPUB);
  const breaker = createCircuitBreaker({ name: 'chain-rpc', consecutiveFailures: NODE_FAILURES_TO_OPEN, halfOpenAfterMs: NODE_HALF_OPEN_AFTER_MS, registry });
  alertWhenBreakerStaysOpen(breaker, context, { context: 'chain', service: 'chain-watcher' });
  const urls = config.CHAIN_RPC_URL.split(',');
  const onFailover = (from: string, to: string, error: unknown) => logger.warn({ from, to, err: error }, 'RPC endpoint failed; trying the next one');
  const rpc = createChainRpcClient({ urls, chainId, requestTimeoutMs: config.CHAIN_RPC_TIMEOUT_MS, breaker, onFailover });
  // The probe wraps its own checks in the breaker, so it uses a client without one.
  const probeRpc = createChainRpcClient({ urls, chainId, requestTimeoutMs: config.CHAIN_RPC_TIMEOUT_MS, onFailover });
  const startBlock = firstWatchedBlock(config.CHAIN_DEPOSIT_TOKENS);
  const cursorBlock = async () => (await readScanCursor(database.db, chainId))?.blockNumber ?? startBlock - 1;

  const scanner = createDepositScanner({
    database,
    rpc,
    namespace,
    tokens: config.CHAIN_DEPOSIT_TOKENS,
    requiredConfirmations: config.CHAIN_CONFIRMATIONS,
    scanBlocksMax: config.CHAIN_SCAN_BLOCKS_MAX,
    reorgDepthMax: config.CHAIN_REORG_DEPTH_MAX,
    logger: logger.child({ component: 'deposit-scanner' }),
    registry,
  });
  const claims = createDepositClaims({ database, rpc, tokens: config.CHAIN_DEPOSIT_TOKENS, requiredConfirmations: config.CHAIN_CONFIRMATIONS, cursor: cursorBlock });
  const health = createNodeHealth({ rpc: probeRpc, breaker, stallTimeoutMs: config.CHAIN_STALL_TIMEOUT_MS, floor: cursorBlock, logger: logger.child({ component: 'node-health' }) });
  const flags = await watchFlags({ nc: context.nats, namespace, logger: logger.child({ component: 'flags' }) });
  // Withdrawals: sign and store each approved one, then send and watch it (see withdrawals.sender.ts).
  await startWithdrawalSender(context, { database, flags });

  // -------------------------------------------------------------------------------------------
  // Node state: a restart after an outage starts `down`, so the recovery path runs and clears
  // the maintenance flag it set.
  // -------------------------------------------------------------------------------------------
  const [stored] = await database.db.select().from(nodeStatusTable).where(eq(nodeStatusTable.chainId, chainId));
  let nodeState: NodeState = stored?.status === 'down' ? NodeStates.down : NodeStates.up;
  let recovery: { fromBlock: number; startedAt: Date; found: number } | undefined;
  let lastError: string | null = null;
  const stateGauge = getOrCreateGauge(registry, { name: 'chain_node_up', help: '1 while the node is up, 0 while down or recovering.', labelNames: ['chain'] });
  stateGauge.set({ chain: String(chainId) }, nodeState === NodeStates.up ? 1 : 0);
  const setState = (state: NodeState) => {
    nodeState = state;
    stateGauge.set({ chain: String(chainId) }, state === NodeStates.up ? 1 : 0);
  };

  context.readiness.add({
    name: 'chain',
    // The watcher stays ready while the node is down: it is the one that notices recovery.
    required: false,
    check: async () => ({
      up: nodeState === NodeStates.up,
      detail: {
        chainId,
        state: nodeState,
        headBlock: health.lastHead()?.block ?? null,
        headAdvancedAt: health.lastHead()?.advancedAt.toISOString() ?? null,
        breaker: breaker.state(),
        endpoint: rpc.preferredEndpoint(),
        lastError,
      },
    }),
  });

  const recordStatus = (status: 'up' | 'down', headBlock: number | null, reason: string | null) =>
    database.db.transaction((tx) => recordNodeStatus(tx, { namespace, chainId, status, headBlock, reason }), { isolationLevel: 'read committed' });

  const goDown = async (reason: string): Promise<void> => {
    const flagReason = `chain ${chainId} node unusable: ${reason}`.slice(0, 500);
    await withTimeout(FLAG_TIMEOUT_MS, () => setFlag(context.nats, namespace, Flags.maintenance, { on: true, reason: flagReason, setBy: FLAG_SETTER }));
    await recordStatus('down', health.lastHead()?.block ?? null, reason.slice(0, 500));
    setState(NodeStates.down);
    recovery = undefined;
    logger.error({ alert: true, chainId, reason }, 'chain node down: maintenance on, deposits wait for its return');
  };

  const finishRecovery = async (cursor: number): Promise<void> => {
    const current = recovery ?? { fromBlock: cursor + 1, startedAt: new Date(), found: 0 };
    await database.db.transaction(
      async (tx) => {
        await recordRangeRescanned(tx, {
          namespace,
          chainId,
          fromBlock: Math.min(current.fromBlock, cursor),
          toBlock: cursor,
          depositsFound: current.found,
          reason: 'node-recovery',
          startedAt: current.startedAt,
          finishedAt: new Date(),
        });
      },
      { isolationLevel: 'read committed' },
    );
    const resolved = await claims.recheckUnresolved();
    const maintenance = flags.get(Flags.maintenance);
    if (maintenance.on && maintenance.setBy === FLAG_SETTER) {
      await withTimeout(FLAG_TIMEOUT_MS, () => setFlag(context.nats, namespace, Flags.maintenance, { on: false, reason: `chain ${chainId} node back`, setBy: FLAG_SETTER }));
    }
    await recordStatus('up', cursor, null);
    setState(NodeStates.up);
    recovery = undefined;
    logger.warn({ chainId, fromBlock: current.fromBlock, toBlock: cursor, depositsFound: current.found, claimsResolved: resolved }, 'chain node recovered: re-scan done, maintenance off');
  };

  // -------------------------------------------------------------------------------------------
  // Loops
  // -------------------------------------------------------------------------------------------
  const healthLoop = superviseLoop({
    name: 'chain-health-monitor',
    logger,
    registry,
    delayMsInitial: 500,
    delayMsMax: 10_000,
    consecutiveErrorsAlert: 10,
    run: async (signal) => {
      while (!signal.aborted) {
        const probe = await health.probe(signal);
        if (probe.error !== undefined) {
          lastError = probe.error instanceof Error ? probe.error.message : String(probe.error);
          logger.warn({ err: probe.error, breaker: breaker.state() }, 'chain node probe failed');
        }
        if (nodeState !== NodeStates.down && health.breakerOpen()) {
          await goDown(lastError ?? 'the node breaker is open');
        } else if (nodeState === NodeStates.down && probe.head !== undefined && !health.breakerOpen()) {
          lastError = null;
          recovery = { fromBlock: (await cursorBlock()) + 1, startedAt: new Date(), found: 0 };
          setState(NodeStates.recovering);
          logger.warn({ chainId, head: probe.head, fromBlock: recovery.fromBlock }, 'chain node answers again; re-scanning what was missed');
        } else if (nodeState === NodeStates.up && probe.head !== undefined) {
          lastError = null;
          await recordStatus('up', probe.head, null);
        }
        await sleep(config.CHAIN_HEALTH_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      }
    },
  });

  // New heads pushed by the node wake the scanner between polls; a head seen while it scans makes it
  // scan again at once. The poll keeps going, so a silent or missing socket only costs latency.
  let headPending = false;
  let wake: (() => void) | undefined;
  const newHeads = config.CHAIN_WS_URL
    ? subscribeNewHeads({
        url: config.CHAIN_WS_URL,
        logger: logger.child({ component: 'new-heads' }),
        onHead: () => {
          headPending = true;
          wake?.();
        },
      })
    : undefined;
  const untilNextPoll = (waitMs: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (headPending || signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        wake = undefined;
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      wake = done;
      signal.addEventListener('abort', done, { once: true });
    });

  const scanLoop = superviseLoop({
    name: 'chain-deposit-scanner',
    logger,
    registry,
    delayMsInitial: 500,
    delayMsMax: 10_000,
    consecutiveErrorsAlert: 10,
    run: async (signal) => {
      while (!signal.aborted) {
        // Fixed-rate polling: a tick's own duration comes off the wait, so a new block is seen at
        // most one poll interval after it was mined.
        const tickStartedAtMs = performance.now();
        headPending = false;
        if (nodeState !== NodeStates.down) {
          const tick = await scanner.scanOnce(signal);
          if (recovery) recovery.found += tick.depositsFound;
          if (nodeState === NodeStates.recovering && tick.caughtUp) await finishRecovery(tick.cursor);
          else if (tick.confirmed.length > 0) await claims.recheckUnresolved();
          // A long catch-up goes on at once; a caught-up scanner waits for the next block.
          if (!tick.caughtUp) continue;
        }
        const waitMs = Math.max(0, config.CHAIN_POLL_INTERVAL_MS - (performance.now() - tickStartedAtMs));
        await untilNextPoll(waitMs, signal);
      }
    },
  });

  // -------------------------------------------------------------------------------------------
  // Deposit addresses: one per user, when the ledger has opened the user's accounts.
  // -------------------------------------------------------------------------------------------
  await consumeEventOnce(
    context,
    database,
    accountOpenedV1,
    { action: 'assign-address', description: 'Assigns a deposit address to every user whose accounts the ledger opened' },
    (tx, event) => assignDepositAddress(tx, { namespace, chainId, userId: event.data.userId, deriver, now: new Date() }),
  );

  const unavailable = (error: unknown): never => {
    throw new CommandError(ChainCommandErrors.unavailable, 'the chain-watcher cannot answer right now; retry later', { retryable: true, cause: error });
  };
  const routes: AnyCommandRoute[] = [
    commandRoute(getDepositAddressV1, async (request) => {
      const address = await findDepositAddress(database.db, request.userId, chainId).catch(unavailable);
      if (!address) throw new CommandError(ChainCommandErrors.addressNotFound, 'this user has no deposit address yet', { retryable: true });
      return { userId: request.userId, chainId, address: deriver.derive(address.derivationIndex), requiredConfirmations: config.CHAIN_CONFIRMATIONS };
    }),
    commandRoute(claimDepositV1, async (request) => {
      try {
        return await claims.claim({ userId: request.userId, txHash: request.txHash, nodeUp: nodeState === NodeStates.up && !health.breakerOpen() });
      } catch (error) {
        // The node failed during the look-up: the claim waits for its recovery like any other.
        if (error instanceof CommandError) throw error;
        return await claims.claim({ userId: request.userId, txHash: request.txHash, nodeUp: false }).catch(unavailable);
      }
    }),
  ];
  const commands = await serveCommands({ nc: context.nats, namespace, queue: 'chain-watcher', routes, logger: logger.child({ component: 'commands' }), registry });

  // Registered last, so they run first at shutdown: stop answering, then the loops.
  context.onShutdown('chain flags', () => flags.stop());
  context.onShutdown('chain health monitor', () => healthLoop.stop(LOOP_STOP_TIMEOUT_MS));
  context.onShutdown('chain deposit scanner', () => scanLoop.stop(LOOP_STOP_TIMEOUT_MS));
  context.onShutdown('chain new heads', async () => newHeads?.stop());
  context.onShutdown('chain commands', () => commands.stop(COMMAND_STOP_TIMEOUT_MS));
}
