import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  approveWithdrawalV1,
  chainWithdrawalBroadcastV1,
  chainWithdrawalConfirmedV1,
  chainWithdrawalFailedV1,
  depositConfirmedV1,
  requestWithdrawalV1,
  type CloudEvent,
} from '@strongbox/shared-contracts';
import { processOnce, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { AccountKinds } from '@strongbox/ledger-data-access';
import { createLedgerOperations, createWithdrawalLifecycle, type LedgerOperations, type WithdrawalLifecycle } from '../../src/index';
import { ASSET, type PlanTestContext } from './plans.harness';

// Shared plumbing of the withdrawal, auto-approval, referral and blacklist tests: the ledger's
// operations on a test schema, chain events as the chain-watcher would publish them, handlers run
// through the real inbox (processOnce) as the service's consumers run them, a logger whose lines
// the test can read, and account totals straight from the schema.

export const FEE = 1_000n;
export const CHAIN_ID = 31337;
export const ADDRESS = '0x00000000000000000000000000000000000000aA';

export type Broadcast = ReturnType<typeof chainWithdrawalBroadcastV1.create>;
export type Confirmed = ReturnType<typeof chainWithdrawalConfirmedV1.create>;
export type Failed = ReturnType<typeof chainWithdrawalFailedV1.create>;
export type DepositConfirmed = ReturnType<typeof depositConfirmedV1.create>;

/** The ledger's operations with limits that let the tests withdraw freely and no deposit cooling. */
export function ledgerOperations(context: PlanTestContext): LedgerOperations {
  return createLedgerOperations({
    database: context.database,
    namespace: context.namespace,
    assets: [ASSET],
    withdrawalLimits: { minMinor: 10_000n, maxMinor: 1_000_000n, dailyMaxMinor: 100_000_000n, feeMinor: FEE },
    fraudRules: { velocityMaxPerHour: 1_000, afterDepositCoolingMs: 0 },
    now: () => context.clock.now,
  });
}

/** Log lines a test can inspect (level 50 = error). */
export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Array<{ level: number; msg: string; [key: string]: unknown }>;
}

export function capturedLogger(): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as CapturedLogger['lines'][number]) });
  return { logger, lines };
}

/** A random lower-case transaction hash. */
export function txHash(): string {
  return `0x${randomBytes(32).toString('hex')}`;
}

export interface WithdrawalRef {
  readonly withdrawalId: string;
  readonly userId: string;
  readonly amount: string;
}

export function broadcastEvent(withdrawal: WithdrawalRef, attempt = 1, hash = txHash()): Broadcast {
  return chainWithdrawalBroadcastV1.create({
    source: 'strongbox/chain-watcher',
    subject: withdrawal.withdrawalId,
    data: {
      withdrawalId: withdrawal.withdrawalId,
      userId: withdrawal.userId,
      chainId: CHAIN_ID,
      txHash: hash,
      nonce: 7,
      attempt,
      fromAddress: '0x00000000000000000000000000000000000000f0',
      toAddress: ADDRESS,
      tokenContract: '0x00000000000000000000000000000000000000c0',
      asset: ASSET,
      amount: withdrawal.amount,
      broadcastAt: new Date().toISOString(),
    },
  });
}

export function confirmedEvent(withdrawal: WithdrawalRef, hash = txHash()): Confirmed {
  return chainWithdrawalConfirmedV1.create({
    source: 'strongbox/chain-watcher',
    subject: withdrawal.withdrawalId,
    data: {
      withdrawalId: withdrawal.withdrawalId,
      userId: withdrawal.userId,
      chainId: CHAIN_ID,
      txHash: hash,
      blockNumber: 120,
      blockHash: txHash(),
      confirmations: 12,
      confirmedAt: new Date().toISOString(),
    },
  });
}

export function failedEvent(withdrawal: WithdrawalRef, reason: 'reverted' | 'dropped' | 'rejected' = 'reverted', hash: string | null = txHash()): Failed {
  return chainWithdrawalFailedV1.create({
    source: 'strongbox/chain-watcher',
    subject: withdrawal.withdrawalId,
    data: {
      withdrawalId: withdrawal.withdrawalId,
      userId: withdrawal.userId,
      chainId: CHAIN_ID,
      txHash: hash,
      reason,
      detail: 'execution reverted: transfer amount exceeds balance',
      failedAt: new Date().toISOString(),
    },
  });
}

export function depositEvent(userId: string, amountMinor: bigint): DepositConfirmed {
  return depositConfirmedV1.create({
    source: 'strongbox/chain-watcher',
    subject: userId,
    data: {
      chainId: CHAIN_ID,
      txHash: txHash(),
      logIndex: 0,
      userId,
      asset: ASSET,
      amount: amountMinor.toString(),
      toAddress: '0x00000000000000000000000000000000000000d0',
      fromAddress: '0x00000000000000000000000000000000000000e0',
      blockNumber: 100,
      blockHash: txHash(),
      confirmations: 12,
    },
  });
}

/** Runs `handle` for `event` through the inbox of `consumer`, as the service's consumer does. */
export function consume<E extends CloudEvent, T>(context: PlanTestContext, consumer: string, event: E, handle: (tx: DbExecutor, event: E) => Promise<T>) {
  return processOnce(context.database, { consumer, eventId: event.id, isolationLevel: 'read committed' }, (tx) => handle(tx, event));
}

/** The three chain handlers, each behind its own inbox consumer name (as in ledger.service.ts). */
export function chainConsumers(context: PlanTestContext, lifecycle: WithdrawalLifecycle) {
  return {
    broadcast: (event: Broadcast) => consume(context, 'ledger-mark-broadcast-on-withdrawal-broadcast', event, lifecycle.broadcast),
    confirmed: (event: Confirmed) => consume(context, 'ledger-complete-on-withdrawal-confirmed', event, lifecycle.confirmed),
    failed: (event: Failed) => consume(context, 'ledger-release-on-withdrawal-failed', event, lifecycle.failed),
  };
}

/** Requests a withdrawal to ADDRESS (or `toAddress`). */
export async function requestWithdrawal(ledger: LedgerOperations, userId: string, amount: string, toAddress = ADDRESS) {
  return ledger.requestWithdrawal(requestWithdrawalV1.request.parse({ idempotencyKey: `wd-${newId()}`, userId, asset: ASSET, amount, toAddress }));
}

/** Approves a withdrawal as an admin. */
export async function approve(ledger: LedgerOperations, withdrawalId: string) {
  return ledger.approveWithdrawal(approveWithdrawalV1.request.parse({ idempotencyKey: `ap-${newId()}`, adminId: newId(), withdrawalId }));
}

/**
 * Takes one withdrawal of the user to ADDRESS through approval and chain confirmation, so the
 * address counts as used and later withdrawals to it need no review (they are `held`).
 */
export async function establishAddress(context: PlanTestContext, ledger: LedgerOperations, userId: string, registry: Registry): Promise<void> {
  const lifecycle = createWithdrawalLifecycle({ namespace: context.namespace, logger: pino({ level: 'silent' }), registry, now: () => context.clock.now });
  const { withdrawal } = await requestWithdrawal(ledger, userId, '10000');
  await approve(ledger, withdrawal.withdrawalId);
  await chainConsumers(context, lifecycle).confirmed(confirmedEvent({ ...withdrawal, userId }));
}

export interface Totals {
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}

/** The totals of a system account of ASSET. */
export async function systemTotals(context: PlanTestContext, kind: string): Promise<Totals> {
  const [row] = await context.sql<Array<Record<'dp' | 'cp' | 'dpe' | 'cpe', string>>>`
    select debits_posted::text as dp, credits_posted::text as cp, debits_pending::text as dpe, credits_pending::text as cpe
    from accounts where user_id is null and asset = ${ASSET} and kind = ${kind}`;
  if (!row) throw new Error(`no ${kind} account`);
  return { debitsPosted: BigInt(row.dp), creditsPosted: BigInt(row.cp), debitsPending: BigInt(row.dpe), creditsPending: BigInt(row.cpe) };
}

/** The totals of a user's available account of ASSET. */
export async function userTotals(context: PlanTestContext, userId: string): Promise<Totals & { available: bigint }> {
  const [row] = await context.sql<Array<Record<'dp' | 'cp' | 'dpe' | 'cpe', string>>>`
    select debits_posted::text as dp, credits_posted::text as cp, debits_pending::text as dpe, credits_pending::text as cpe
    from accounts where user_id = ${userId} and asset = ${ASSET} and kind = ${AccountKinds.userAvailable}`;
  if (!row) throw new Error(`user ${userId} has no ${ASSET} account`);
  const totals = { debitsPosted: BigInt(row.dp), creditsPosted: BigInt(row.cp), debitsPending: BigInt(row.dpe), creditsPending: BigInt(row.cpe) };
  return { ...totals, available: totals.creditsPosted - totals.debitsPosted - totals.debitsPending };
}

/** The withdrawal row's state, reason, hash and attempt. */
export async function withdrawalRow(context: PlanTestContext, withdrawalId: string) {
  const [row] = await context.sql<Array<{ state: string; reason: string | null; tx_hash: string | null; broadcast_attempt: number | null }>>`
    select state, reason, tx_hash, broadcast_attempt from withdrawals where id = ${withdrawalId}`;
  return row;
}

/** The value of a counter with the given labels (0 when never incremented). */
export async function counterValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((value) => Object.entries(labels).every(([key, expected]) => value.labels[key] === expected));
  return match?.value ?? 0;
}
