import { setTimeout as sleep } from 'node:timers/promises';
import { ZeroAddress, getAddress, isAddress, keccak256 } from 'ethers';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { durableName, eventSubject, StreamBases, withdrawalApprovedV1, type CloudEvent } from '@strongbox/shared-contracts';
import { processOnce, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import { Flags, watchFlags, type FlagWatcher } from '@strongbox/shared-messaging';
import { splitList } from '@strongbox/shared-config';
import { getOrCreateGauge } from '@strongbox/shared-observability';
import { superviseLoop } from '@strongbox/shared-resilience';
import { eventConsumerSpec, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import {
  BroadcastOutcomes,
  ChainWithdrawalError,
  ChainWithdrawalErrorCodes,
  ChainWithdrawalFailureReasons,
  ChainWithdrawalStates,
  commitNonce,
  createFailoverWithdrawalRpc,
  createWithdrawalRpc,
  ERC20_INTERFACE,
  findChainWithdrawal,
  insertAttempt,
  insertSignedWithdrawal,
  listOpenWithdrawals,
  loadHotWallet,
  lockNextNonce,
  markAttemptBroadcast,
  recordOutcome,
  recordRejectedWithdrawal,
  type ChainWithdrawalAttemptRow,
  type ChainWithdrawalRow,
  type HotWallet,
  type OpenWithdrawal,
  type WithdrawalRpc,
} from '@strongbox/chain-data-access';
import { withdrawalTokensFrom, WithdrawalCrashPoints, type ChainWithdrawalConfig, type WithdrawalCrashPoint, type WithdrawalToken } from './withdrawals.config';
import type { WatchedTokens } from './deposit.config';

// ---------------------------------------------------------------------------------------------
// The withdrawal sender: turns `ledger withdrawal approved` into exactly one token transfer on
// chain. The signed transaction and its nonce are committed with the inbox row before anything is
// sent, so a crash at any point re-sends the same bytes and never signs a second transfer; a
// supervised loop sends what is unsent, watches receipts, replaces stuck transactions under the
// same nonce and publishes one outcome per withdrawal. See docs/adr/0008-persist-before-broadcast-and-database-nonces.md.
// ---------------------------------------------------------------------------------------------

/** Tuning of the sender; from config in the service, given directly in tests. */
export interface WithdrawalSenderSettings {
  readonly chainId: number;
  readonly tokens: readonly WithdrawalToken[];
  readonly confirmations: number;
  readonly pollIntervalMs: number;
  readonly stuckAfterMs: number;
  readonly feeBumpPercent: number;
  readonly maxFeePerGasWei: bigint;
  readonly attemptsMax: number;
  readonly gasLimit: number;
  /** Tests only: where the process SIGKILLs itself once. */
  readonly crashPoint?: WithdrawalCrashPoint | undefined;
}

/** The service's database: a transaction runner that can also run single statements. */
export type WithdrawalDatabase = DatabaseHandle & { readonly db: DatabaseHandle['db'] & DbExecutor };

export interface WithdrawalSenderDeps {
  readonly database: WithdrawalDatabase;
  readonly namespace: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly rpc: WithdrawalRpc;
  readonly wallet: HotWallet;
  readonly flags: Pick<FlagWatcher, 'isOn'>;
  readonly settings: WithdrawalSenderSettings;
  /** Called at the crash point; kills the process with SIGKILL unless a test replaces it. */
  readonly crash?: (point: WithdrawalCrashPoint) => void;
}

export type ApprovedEvent = CloudEvent<ReturnType<(typeof withdrawalApprovedV1)['parse']>['data']>;

/** What handling one approval did. */
export type ApprovalResult = 'signed' | 'rejected' | 'duplicate';

/** What one pass of the watcher did, for tests and logs. */
export interface PassSummary {
  readonly open: number;
  readonly sent: number;
  readonly replaced: number;
  readonly decided: number;
  readonly held: boolean;
}

export interface WithdrawalSender {
  /** Durable consumer name of the approvals. */
  readonly durable: string;
  /** Signs and stores the approved withdrawal once (inbox), then sends it unless the emergency stop is on. */
  handleApproved(event: ApprovedEvent): Promise<ApprovalResult>;
  /** One pass over open withdrawals: send unsent, decide landed, replace stuck, fail dropped. */
  pass(): Promise<PassSummary>;
}

/** Nominal fee bump the node requires of a replacement (geth and anvil: 10 %). */
const NODE_REPLACEMENT_BUMP_PERCENT = 10n;

function ceilPercent(value: bigint, percent: bigint): bigint {
  return (value * (100n + percent) + 99n) / 100n;
}

function maxBig(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/**
 * Builds the sender over its dependencies (no consumer, no loop: `startWithdrawalSender` adds them).
 *
 * @example
 * const sender = createWithdrawalSender({ database, namespace, logger, rpc, wallet, flags, settings });
 * await sender.handleApproved(event);
 * await sender.pass();
 */
export function createWithdrawalSender(deps: WithdrawalSenderDeps): WithdrawalSender {
  const { database, namespace, logger, rpc, wallet, flags, settings } = deps;
  const durable = durableName('chain-watcher', 'send', 'withdrawal-approved');
  const tokensByAsset = new Map(settings.tokens.map((token) => [token.asset, token]));
  const verifiedDecimals = new Set<string>();
  const fromAddress = wallet.address.toLowerCase();
  let crashPending = settings.crashPoint;
  const crash = deps.crash ?? ((point: WithdrawalCrashPoint) => {
    logger.warn({ point }, 'test crash point reached: killing the process');
    process.kill(process.pid, 'SIGKILL');
  });
  const crashAt = (point: WithdrawalCrashPoint) => {
    if (crashPending !== point) return;
    crashPending = undefined;
    crash(point);
  };
  const openGauge = deps.registry
    ? getOrCreateGauge(deps.registry, { name: 'strongbox_chain_withdrawals_open', help: 'Withdrawals signed or sent and not yet decided.', labelNames: [] })
    : undefined;

  const emergencyStop = () => flags.isOn(Flags.emergencyStop);
  /** When an exhausted withdrawal's last attempt was re-sent; bounded by the open withdrawals of a pass. */
  const resentAtMs = new Map<string, number>();

  /** The configured decimals must be the contract's; a mismatch would pay out a wrong amount. */
  const verifyDecimals = async (token: WithdrawalToken): Promise<void> => {
    if (verifiedDecimals.has(token.contract)) return;
    const decimals = await rpc.tokenDecimals(token.contract);
    if (decimals !== token.decimals) {
      logger.error({ asset: token.asset, contract: token.contract, configured: token.decimals, onChain: decimals, alert: true }, 'token decimals mismatch');
      throw new ChainWithdrawalError(
        ChainWithdrawalErrorCodes.tokenDecimalsMismatch,
        `${token.asset} at ${token.contract} has ${decimals} decimals on chain, configured ${token.decimals}`,
      );
    }
    verifiedDecimals.add(token.contract);
  };

  /** Fees for a new transaction, bounded by the configured maximum. */
  const initialFees = async () => {
    const quote = await rpc.feeQuote();
    const maxFeePerGasWei = minBig(quote.maxFeePerGasWei, settings.maxFeePerGasWei);
    return { maxFeePerGasWei, maxPriorityFeePerGasWei: minBig(quote.maxPriorityFeePerGasWei, maxFeePerGasWei) };
  };

  const sign = async (input: { nonce: number; token: string; to: string; amount: bigint; maxFeePerGasWei: bigint; maxPriorityFeePerGasWei: bigint }) => {
    const rawTransaction = await wallet.signTransaction({
      type: 2,
      chainId: settings.chainId,
      nonce: input.nonce,
      to: input.token,
      data: ERC20_INTERFACE.encodeFunctionData('transfer', [input.to, input.amount]),
      value: 0n,
      gasLimit: BigInt(settings.gasLimit),
      maxFeePerGas: input.maxFeePerGasWei,
      maxPriorityFeePerGas: input.maxPriorityFeePerGasWei,
    });
    return { rawTransaction, txHash: keccak256(rawTransaction).toLowerCase() };
  };

  /**
   * Sends a stored attempt. Success paths: accepted, already known, nonce used (the watcher finds out
   * by whom), a higher-fee attempt of ours pending. Records the first acceptance of each attempt
   * (state `broadcast`, event `broadcast`). Throws on anything else; the loop tries again.
   */
  const send = async (withdrawal: ChainWithdrawalRow, attempt: ChainWithdrawalAttemptRow): Promise<void> => {
    const outcome = await rpc.sendRawTransaction(attempt.rawTransaction);
    crashAt(WithdrawalCrashPoints.afterBroadcast);
    if (outcome === BroadcastOutcomes.nonceUsed || outcome === BroadcastOutcomes.replacedByPending) {
      // Another transaction holds the nonce: this attempt mined before a crash, another attempt of
      // ours, or a foreign one. Only a receipt tells which (the pass records the acceptance of an
      // attempt it finds mined), so nothing is announced here.
      logger.info({ withdrawalId: withdrawal.withdrawalId, attempt: attempt.attempt, outcome }, 'node already has a transaction under this nonce');
      return;
    }
    const first = await database.db.transaction(
      (tx) => markAttemptBroadcast(tx, { namespace, withdrawal, attempt, broadcastAt: new Date() }),
      { isolationLevel: 'read committed' },
    );
    if (first) logger.info({ withdrawalId: withdrawal.withdrawalId, attempt: attempt.attempt, txHash: attempt.txHash, nonce: withdrawal.nonce, outcome }, 'withdrawal broadcast');
  };

  const reject = async (event: ApprovedEvent, token: WithdrawalToken | undefined, detail: string): Promise<ApprovalResult> => {
    const data = event.data;
    const outcome = await processOnce(database, { consumer: durable, eventId: event.id, isolationLevel: 'read committed' }, async (tx) => {
      if (await findChainWithdrawal(tx, data.withdrawalId)) return 'duplicate' as const;
      await recordRejectedWithdrawal(tx, {
        namespace,
        withdrawalId: data.withdrawalId,
        userId: data.userId,
        chainId: settings.chainId,
        asset: data.asset,
        amount: BigInt(data.amount),
        toAddress: data.toAddress,
        approvedEventId: event.id,
        fromAddress,
        tokenContract: token?.contract ?? null,
        detail,
      });
      return 'rejected' as const;
    });
    if (outcome.duplicate || outcome.result === 'duplicate') return 'duplicate';
    logger.warn({ withdrawalId: data.withdrawalId, detail }, 'withdrawal rejected');
    return 'rejected';
  };

  const handleApproved = async (event: ApprovedEvent): Promise<ApprovalResult> => {
    const data = event.data;
    if (await findChainWithdrawal(database.db, data.withdrawalId)) return 'duplicate';
    const token = tokensByAsset.get(data.asset);
    if (!token) return reject(event, undefined, `asset ${data.asset} has no token contract configured for chain ${settings.chainId}`);
    if (!isAddress(data.toAddress) || getAddress(data.toAddress) === ZeroAddress) {
      return reject(event, token, `destination ${data.toAddress} is not a usable address`);
    }
    const to = getAddress(data.toAddress);
    if (to.toLowerCase() === token.contract.toLowerCase() || to.toLowerCase() === fromAddress) {
      return reject(event, token, `destination ${to} is the token contract or the hot wallet itself`);
    }
    const amount = BigInt(data.amount);
    await verifyDecimals(token);
    // Node reads first, outside the transaction: the transaction only holds the nonce lock briefly.
    const snapshot = await rpc.walletSnapshot({ address: wallet.address, tokenContract: token.contract });
    const fees = await initialFees();
    const gasCostWei = BigInt(settings.gasLimit) * fees.maxFeePerGasWei;

    const outcome = await processOnce(database, { consumer: durable, eventId: event.id, isolationLevel: 'read committed' }, async (tx) => {
      if (await findChainWithdrawal(tx, data.withdrawalId)) return { kind: 'duplicate' as const };
      const { nonce, pendingAmount } = await lockNextNonce(tx, { chainId: settings.chainId, address: fromAddress, tokenContract: token.contract, minedNonce: snapshot.minedNonce });
      const free = snapshot.tokenBalance - pendingAmount;
      const problem =
        free < amount
          ? `hot wallet holds ${snapshot.tokenBalance} ${token.asset} minor units at block ${snapshot.blockNumber}, ${pendingAmount} of them promised to pending withdrawals; ${amount} needed`
          : snapshot.nativeBalanceWei < gasCostWei
            ? `hot wallet holds ${snapshot.nativeBalanceWei} wei for gas; ${gasCostWei} needed`
            : null;
      if (problem !== null) {
        await recordRejectedWithdrawal(tx, {
          namespace,
          withdrawalId: data.withdrawalId,
          userId: data.userId,
          chainId: settings.chainId,
          asset: data.asset,
          amount,
          toAddress: data.toAddress,
          approvedEventId: event.id,
          fromAddress,
          tokenContract: token.contract,
          detail: problem,
        });
        return { kind: 'rejected' as const, problem };
      }
      const signed = await sign({ nonce, token: token.contract, to, amount, ...fees });
      await insertSignedWithdrawal(tx, {
        withdrawalId: data.withdrawalId,
        userId: data.userId,
        chainId: settings.chainId,
        asset: data.asset,
        amount,
        toAddress: to,
        approvedEventId: event.id,
        fromAddress,
        tokenContract: token.contract,
        nonce,
        attempt: { ...signed, ...fees },
      });
      await commitNonce(tx, { chainId: settings.chainId, address: fromAddress, nonce });
      return { kind: 'signed' as const, nonce, signed };
    });
    if (outcome.duplicate || outcome.result.kind === 'duplicate') return 'duplicate';
    if (outcome.result.kind === 'rejected') {
      logger.warn({ withdrawalId: data.withdrawalId, detail: outcome.result.problem }, 'withdrawal rejected');
      return 'rejected';
    }
    logger.info({ withdrawalId: data.withdrawalId, nonce: outcome.result.nonce, txHash: outcome.result.signed.txHash }, 'withdrawal signed and stored');
    crashAt(WithdrawalCrashPoints.afterPersist);
    if (emergencyStop()) {
      logger.warn({ withdrawalId: data.withdrawalId }, 'emergency stop: withdrawal stored, not sent');
      return 'signed';
    }
    // Sent at once for speed; should this fail, the loop sends it.
    const withdrawal = await findChainWithdrawal(database.db, data.withdrawalId);
    if (withdrawal) {
      const attempt: ChainWithdrawalAttemptRow = { withdrawalId: data.withdrawalId, attempt: 1, ...outcome.result.signed, ...fees, signedAt: new Date(), broadcastAt: null };
      await send(withdrawal, attempt).catch((error: unknown) => logger.warn({ err: error, withdrawalId: data.withdrawalId }, 'first send failed; the loop retries'));
    }
    return 'signed';
  };

  /** Signs and stores a higher-fee attempt under the same nonce, then sends it; false when the cap forbids. */
  const replace = async (item: OpenWithdrawal, latest: ChainWithdrawalAttemptRow): Promise<boolean> => {
    const { withdrawal } = item;
    if (withdrawal.nonce === null || withdrawal.tokenContract === null) throw new Error(`open withdrawal ${withdrawal.withdrawalId} lacks a nonce or token`);
    const quote = await rpc.feeQuote();
    const bump = BigInt(settings.feeBumpPercent);
    let maxPriorityFeePerGasWei = maxBig(ceilPercent(latest.maxPriorityFeePerGasWei, bump), quote.maxPriorityFeePerGasWei);
    let maxFeePerGasWei = maxBig(ceilPercent(latest.maxFeePerGasWei, bump), quote.maxFeePerGasWei, maxPriorityFeePerGasWei);
    maxFeePerGasWei = minBig(maxFeePerGasWei, settings.maxFeePerGasWei);
    maxPriorityFeePerGasWei = minBig(maxPriorityFeePerGasWei, maxFeePerGasWei);
    const nodeMinimumFee = ceilPercent(latest.maxFeePerGasWei, NODE_REPLACEMENT_BUMP_PERCENT);
    const nodeMinimumTip = ceilPercent(latest.maxPriorityFeePerGasWei, NODE_REPLACEMENT_BUMP_PERCENT);
    if (maxFeePerGasWei < nodeMinimumFee || maxPriorityFeePerGasWei < nodeMinimumTip) return false;
    const signed = await sign({
      nonce: withdrawal.nonce,
      token: withdrawal.tokenContract,
      to: withdrawal.toAddress,
      amount: withdrawal.amount,
      maxFeePerGasWei,
      maxPriorityFeePerGasWei,
    });
    const attempt = latest.attempt + 1;
    await database.db.transaction(
      (tx) => insertAttempt(tx, { withdrawalId: withdrawal.withdrawalId, attempt, ...signed, maxFeePerGasWei, maxPriorityFeePerGasWei }),
      { isolationLevel: 'read committed' },
    );
    logger.warn({ withdrawalId: withdrawal.withdrawalId, attempt, nonce: withdrawal.nonce, maxFeePerGasWei: String(maxFeePerGasWei) }, 'stuck withdrawal replaced with a higher fee');
    await send(withdrawal, { withdrawalId: withdrawal.withdrawalId, attempt, ...signed, maxFeePerGasWei, maxPriorityFeePerGasWei, signedAt: new Date(), broadcastAt: null });
    return true;
  };

  const decide = (withdrawal: ChainWithdrawalRow, outcome: Parameters<typeof recordOutcome>[1]['outcome']) =>
    database.db.transaction((tx) => recordOutcome(tx, { namespace, withdrawal, outcome }), { isolationLevel: 'read committed' });

  const pass = async (): Promise<PassSummary> => {
    const open = await listOpenWithdrawals(database.db, { chainId: settings.chainId, fromAddress });
    openGauge?.set(open.length);
    const held = emergencyStop();
    let sent = 0;
    let replaced = 0;
    let decided = 0;
    if (open.length === 0) return { open: 0, sent, replaced, decided, held };
    const head = await rpc.headBlock();
    const depthBlock = Math.max(0, head - settings.confirmations + 1);
    let firstError: unknown;
    for (const item of open) {
      try {
        const step = await passOne(item, head, depthBlock, held);
        if (step === 'sent') sent += 1;
        if (step === 'replaced') replaced += 1;
        if (step === 'decided') decided += 1;
      } catch (error) {
        // One withdrawal's failure must not stop the others being watched; the pass still fails.
        logger.warn({ err: error, withdrawalId: item.withdrawal.withdrawalId }, 'withdrawal pass step failed');
        firstError ??= error;
      }
    }
    for (const id of resentAtMs.keys()) if (!open.some((item) => item.withdrawal.withdrawalId === id)) resentAtMs.delete(id);
    if (firstError !== undefined) throw firstError;
    return { open: open.length, sent, replaced, decided, held };
  };

  /** Sends, decides, replaces or waits for one open withdrawal. */
  const passOne = async (item: OpenWithdrawal, head: number, depthBlock: number, held: boolean): Promise<'sent' | 'replaced' | 'decided' | 'waiting'> => {
    const { withdrawal, attempts } = item;
    const latest = attempts.at(-1);
    if (withdrawal.nonce === null || !latest) throw new Error(`open withdrawal ${withdrawal.withdrawalId} has no nonce or attempt`);
    const log = { withdrawalId: withdrawal.withdrawalId, nonce: withdrawal.nonce };

    // Read the nonce at confirmation depth before the receipts: a transaction mined in between is
    // then seen by the receipt lookups, and cannot be mistaken for a foreign one.
    const minedAtDepth = await rpc.nonceAt(withdrawal.fromAddress, depthBlock);
    let landed: { attempt: ChainWithdrawalAttemptRow; receipt: NonNullable<Awaited<ReturnType<WithdrawalRpc['receipt']>>> } | undefined;
    for (const attempt of [...attempts].reverse()) {
      const receipt = await rpc.receipt(attempt.txHash);
      if (receipt) {
        landed = { attempt, receipt };
        break;
      }
    }
    if (landed) {
      const confirmations = head - landed.receipt.blockNumber + 1;
      if (landed.attempt.broadcastAt === null) await markBroadcastQuietly(withdrawal, landed.attempt);
      if (confirmations < settings.confirmations) return 'waiting';
      const outcome =
        landed.receipt.status === 1
          ? ({ kind: 'confirmed', txHash: landed.receipt.txHash, blockNumber: landed.receipt.blockNumber, blockHash: landed.receipt.blockHash, confirmations } as const)
          : ({
              kind: 'failed',
              reason: ChainWithdrawalFailureReasons.reverted,
              txHash: landed.receipt.txHash,
              detail: `transaction ${landed.receipt.txHash} reverted in block ${landed.receipt.blockNumber}`,
              blockNumber: landed.receipt.blockNumber,
              blockHash: landed.receipt.blockHash,
            } as const);
      if (await decide(withdrawal, outcome)) {
        logger.info({ ...log, outcome: outcome.kind, txHash: landed.receipt.txHash, attempt: landed.attempt.attempt }, `withdrawal ${outcome.kind === 'confirmed' ? 'confirmed' : 'reverted'}`);
        return 'decided';
      }
      return 'waiting';
    }
    if (minedAtDepth > withdrawal.nonce) {
      // The nonce was used, deep enough not to be undone, by a transaction that is none of ours:
      // none of our signed attempts can ever be mined now.
      const detail = `nonce ${withdrawal.nonce} was used by a transaction that is none of our ${attempts.length} attempt(s)`;
      if (await decide(withdrawal, { kind: 'failed', reason: ChainWithdrawalFailureReasons.dropped, txHash: null, detail })) {
        logger.error({ ...log, alert: true }, 'withdrawal dropped: its nonce was used by another transaction');
        return 'decided';
      }
      return 'waiting';
    }
    if (held) return 'waiting';
    if (withdrawal.state === ChainWithdrawalStates.signed || latest.broadcastAt === null) {
      // Stored but never accepted (a crash, a node outage or the emergency stop): send the same bytes.
      await send(withdrawal, latest);
      return 'sent';
    }
    const sinceMs = Date.now() - latest.broadcastAt.getTime();
    if (sinceMs < settings.stuckAfterMs) return 'waiting';
    // Used at the head but not yet at depth, by none of our attempts: wait for depth (dropped) or
    // a reorg; a replacement could not be mined anyway.
    if ((await rpc.nonceAt(withdrawal.fromAddress, head)) > withdrawal.nonce) return 'waiting';
    // Stuck: the nonce is free at depth and no attempt has a receipt. A transaction we signed stays
    // valid while its nonce is free, so the withdrawal is never failed here; it is pushed instead.
    if (attempts.length < settings.attemptsMax && (await replace(item, latest))) return 'replaced';
    const lastResendMs = resentAtMs.get(withdrawal.withdrawalId) ?? 0;
    if (Date.now() - lastResendMs < settings.stuckAfterMs) return 'waiting';
    logger.error({ ...log, attempts: attempts.length, alert: true }, 'withdrawal stuck at the fee or attempt limit; re-sending its last attempt');
    // Once per stuck interval, so a node that forgot the transaction gets it back.
    resentAtMs.set(withdrawal.withdrawalId, Date.now());
    await send(withdrawal, latest);
    return 'sent';
  };

  /** A receipt proves the node had the attempt even though its acceptance was never recorded. */
  const markBroadcastQuietly = async (withdrawal: ChainWithdrawalRow, attempt: ChainWithdrawalAttemptRow) => {
    await database.db.transaction((tx) => markAttemptBroadcast(tx, { namespace, withdrawal, attempt, broadcastAt: new Date() }), { isolationLevel: 'read committed' });
  };

  return { durable, handleApproved, pass };
}

// ---------------------------------------------------------------------------------------------
// Wiring into the service
// ---------------------------------------------------------------------------------------------

/** The service config keys the sender reads. */
export interface WithdrawalServiceConfig extends RuntimeConfig, ChainWithdrawalConfig {
  readonly NODE_ENV?: string;
  /** One URL or several, comma-separated; the sender uses the first (see README). */
  readonly CHAIN_RPC_URL: string;
  readonly CHAIN_ID: number;
  readonly CHAIN_RPC_TIMEOUT_MS: number;
  /** Asset → current contract and decimals, shared with the deposit side. */
  readonly CHAIN_DEPOSIT_TOKENS: WatchedTokens;
}

/** Deliveries of one approval before it is dead-lettered, and the delays between them. */
const APPROVAL_DELIVERIES_MAX = 300;
const APPROVAL_BACKOFF_MS = [1_000, 5_000, 15_000, 60_000, 300_000] as const;

/** Alert threshold of the sender loop (errors in a row). */
const LOOP_ERRORS_ALERT = 10;
const LOOP_DELAY_MS_MAX = 30_000;

/**
 * Starts the withdrawal sender in chain-watcher: the consumer of `ledger withdrawal approved` and
 * the supervised watch loop. Does nothing (and says so) when no hot wallet key is configured.
 * `database` is the service's opened chain database (its migrations include the withdrawal tables).
 *
 * @example
 * await startWithdrawalSender(context, { database });
 */
export async function startWithdrawalSender(
  context: ServiceContext<WithdrawalServiceConfig>,
  deps: { database: WithdrawalDatabase; flags?: FlagWatcher },
): Promise<WithdrawalSender | undefined> {
  const { config, namespace, registry } = context;
  const logger = context.logger.child({ component: 'withdrawals' });
  if (config.CHAIN_WITHDRAWAL_TEST_CRASH_POINT !== undefined && config.NODE_ENV !== 'test') {
    throw new Error('CHAIN_WITHDRAWAL_TEST_CRASH_POINT is a test hook and is refused unless NODE_ENV=test');
  }
  if (config.CHAIN_HOT_WALLET_PRIVATE_KEY === undefined) {
    logger.warn('CHAIN_HOT_WALLET_PRIVATE_KEY is not set: approved withdrawals are not sent');
    return undefined;
  }
  const wallet = loadHotWallet({ key: config.CHAIN_HOT_WALLET_PRIVATE_KEY, encryptionKey: config.CHAIN_HOT_WALLET_ENCRYPTION_KEY });
  const tokens = withdrawalTokensFrom(config.CHAIN_DEPOSIT_TOKENS);
  logger.info({ hotWallet: wallet.address, assets: tokens.map((token) => token.asset) }, 'withdrawal sender starting');
  const rpcUrls = splitList(config.CHAIN_RPC_URL);
  if (rpcUrls.length === 0) throw new Error('CHAIN_RPC_URL holds no URL');
  // Every configured node, in order of preference; the sender fails over between them.
  const rpc = createFailoverWithdrawalRpc(
    rpcUrls.map((rpcUrl) => createWithdrawalRpc({ rpcUrl, chainId: config.CHAIN_ID, requestTimeoutMs: config.CHAIN_RPC_TIMEOUT_MS })),
  );
  const ownFlags = deps.flags ? undefined : await watchFlags({ nc: context.nats, namespace, logger: logger.child({ component: 'flags' }) });
  const flags = deps.flags ?? ownFlags;
  if (!flags) throw new Error('unreachable: flags are always watched');
  const sender = createWithdrawalSender({
    database: deps.database,
    namespace,
    logger,
    registry,
    rpc,
    wallet,
    flags,
    settings: {
      chainId: config.CHAIN_ID,
      tokens,
      confirmations: config.CHAIN_WITHDRAWAL_CONFIRMATIONS,
      pollIntervalMs: config.CHAIN_WITHDRAWAL_POLL_INTERVAL_MS,
      stuckAfterMs: config.CHAIN_WITHDRAWAL_STUCK_AFTER_MS,
      feeBumpPercent: config.CHAIN_WITHDRAWAL_FEE_BUMP_PERCENT,
      maxFeePerGasWei: config.CHAIN_WITHDRAWAL_MAX_FEE_PER_GAS_WEI,
      attemptsMax: config.CHAIN_WITHDRAWAL_ATTEMPTS_MAX,
      gasLimit: config.CHAIN_WITHDRAWAL_GAS_LIMIT,
      crashPoint: config.CHAIN_WITHDRAWAL_TEST_CRASH_POINT,
    },
  });

  // The loop starts first: it sends what an earlier run stored but did not send.
  const loop = superviseLoop({
    name: 'chain-withdrawal-sender',
    logger,
    registry,
    delayMsInitial: config.CHAIN_WITHDRAWAL_POLL_INTERVAL_MS,
    delayMsMax: LOOP_DELAY_MS_MAX,
    consecutiveErrorsAlert: LOOP_ERRORS_ALERT,
    run: async (signal) => {
      while (!signal.aborted) {
        await sender.pass();
        await sleep(config.CHAIN_WITHDRAWAL_POLL_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      }
    },
  });
  context.onShutdown('withdrawal sender', async () => {
    await loop.stop();
    await ownFlags?.stop();
    rpc.close();
  });
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.ledger,
      durable: sender.durable,
      filterSubject: eventSubject(namespace, withdrawalApprovedV1.type),
      description: 'Signs, stores and sends each approved withdrawal once',
      // Handling needs the node (balance, nonce, fees): keep retrying through a long node outage
      // (about 24 h at the last step) rather than dead-lettering an approved withdrawal.
      overrides: { maxDeliver: APPROVAL_DELIVERIES_MAX, backoffMs: [...APPROVAL_BACKOFF_MS] },
    }),
    decode: (raw) => withdrawalApprovedV1.parse(raw),
    handle: async (event) => {
      await sender.handleApproved(event);
    },
  });
  return sender;
}
