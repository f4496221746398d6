import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { eventSubject, withdrawalApprovedV1 } from '@strongbox/shared-contracts';
import { enqueueEvents, type DatabaseHandle } from '@strongbox/shared-db';
import { Flags, type FlagWatcher } from '@strongbox/shared-messaging';
import { getOrCreateCounter } from '@strongbox/shared-observability';
import { sleep, superviseLoop, type SupervisedLoop } from '@strongbox/shared-resilience';
import { userBlacklistTable, WithdrawalStates, withdrawalsTable } from '@strongbox/ledger-data-access';
import { withdrawalEventFields } from './ledger.operations';
import { ReviewReasons } from './withdrawal.policy';

// ---------------------------------------------------------------------------------------------
// Auto-approval: a `held` withdrawal (no fraud rule fired) is approved once its cooling window —
// the time in which the user may still cancel it — is over, and `withdrawal approved` goes out for
// the chain-watcher. The approver is the fixed system actor AUTO_APPROVER_ID.
//
// Several ledger replicas run this job at once: each pass locks the rows it takes with
// `FOR UPDATE SKIP LOCKED` and re-reads their state under the lock, so a withdrawal is approved by
// one replica once, and a user's cancel (which locks the same row) either wins or waits.
// ---------------------------------------------------------------------------------------------

/**
 * The actor recorded as `approvedBy` when the ledger approves a withdrawal by itself. Not a person:
 * admin-audit shows it as "system (auto-approval)". A UUID because the event's field is one.
 */
export const AUTO_APPROVER_ID = '00000000-0000-4000-8000-000000000001';
/** Most withdrawals one pass approves in one transaction; the job runs passes until one takes fewer. */
export const AUTO_APPROVALS_PER_PASS_MAX = 100;
/** Most passes in a row before the job sleeps again, so one run is bounded even under a flood. */
const PASSES_PER_RUN_MAX = 50;

export interface AutoApprovalPass {
  /** Withdrawals approved by this pass. */
  readonly approved: readonly string[];
  /** Held withdrawals of users blacklisted since they asked: sent to an admin instead. */
  readonly sentToReview: readonly string[];
}

/**
 * One pass: approves up to `limit` held withdrawals created at least `coolingMs` before `now`,
 * oldest first, in one read-committed transaction with their `withdrawal approved` events.
 */
export async function approveDueWithdrawals(options: {
  database: DatabaseHandle;
  namespace: string;
  coolingMs: number;
  now: Date;
  limit?: number;
}): Promise<AutoApprovalPass> {
  const { database, namespace, now } = options;
  const limit = Math.min(options.limit ?? AUTO_APPROVALS_PER_PASS_MAX, AUTO_APPROVALS_PER_PASS_MAX);
  const dueBefore = new Date(now.getTime() - options.coolingMs);
  return database.db.transaction(
    async (tx) => {
      // SKIP LOCKED: rows another replica (or a cancel) holds are someone else's this time. Under
      // read committed, FOR UPDATE re-checks the WHERE on the latest row version, so a withdrawal
      // cancelled or approved meanwhile is not returned.
      const due = await tx
        .select()
        .from(withdrawalsTable)
        .where(and(eq(withdrawalsTable.state, WithdrawalStates.held), lte(withdrawalsTable.createdAt, dueBefore)))
        .orderBy(asc(withdrawalsTable.createdAt))
        .limit(limit)
        .for('update', { skipLocked: true });
      if (due.length === 0) return { approved: [], sentToReview: [] };
      const listed = await tx
        .select({ userId: userBlacklistTable.userId })
        .from(userBlacklistTable)
        .where(and(inArray(userBlacklistTable.userId, [...new Set(due.map((row) => row.userId))]), eq(userBlacklistTable.blacklisted, true)));
      const blacklisted = new Set(listed.map((row) => row.userId));
      const approved: string[] = [];
      const sentToReview: string[] = [];
      const events = [];
      for (const row of due) {
        // The lock is held: the state read is the state in force.
        if (row.state !== WithdrawalStates.held) throw new Error(`withdrawal ${row.id} is ${row.state} under its lock; the query asked for held`);
        if (blacklisted.has(row.userId)) {
          sentToReview.push(row.id);
          continue;
        }
        approved.push(row.id);
        const event = withdrawalApprovedV1.create({
          source: 'strongbox/ledger',
          subject: row.userId,
          time: now,
          data: { ...withdrawalEventFields(row), approvedBy: AUTO_APPROVER_ID, approvedAt: now.toISOString() },
        });
        events.push({ subject: eventSubject(namespace, event.type), event, headers: { 'Strongbox-Causation-Id': `auto-approval:${row.id}` } });
      }
      if (approved.length > 0) {
        await tx.update(withdrawalsTable).set({ state: WithdrawalStates.approved, updatedAt: now }).where(inArray(withdrawalsTable.id, approved));
        await enqueueEvents(tx, events);
      }
      if (sentToReview.length > 0) {
        await tx
          .update(withdrawalsTable)
          .set({ state: WithdrawalStates.awaitingApproval, reason: ReviewReasons.blacklisted, updatedAt: now })
          .where(inArray(withdrawalsTable.id, sentToReview));
      }
      return { approved, sentToReview };
    },
    { isolationLevel: 'read committed' },
  );
}

export interface AutoApprovalJob {
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Runs auto-approval passes every `intervalMs` while neither the emergency stop nor maintenance is
 * on (while either is, nothing is approved: the chain-watcher would broadcast it).
 */
export function startWithdrawalAutoApproval(options: {
  database: DatabaseHandle;
  namespace: string;
  logger: Logger;
  registry: Registry;
  flags: Pick<FlagWatcher, 'isOn'>;
  coolingMs: number;
  intervalMs: number;
  now?: () => Date;
}): AutoApprovalJob {
  const { logger, flags } = options;
  const now = options.now ?? (() => new Date());
  const approvedTotal = getOrCreateCounter(options.registry, {
    name: 'ledger_withdrawals_auto_approved_total',
    help: 'Held withdrawals approved by the ledger after their cooling window (`outcome=approved`) or sent to an admin because the user was blacklisted meanwhile (`outcome=review`).',
    labelNames: ['outcome'],
  });
  const runs = getOrCreateCounter(options.registry, {
    name: 'ledger_withdrawal_auto_approval_runs_total',
    help: 'Runs of the auto-approval job; `halted=yes` runs approved nothing because the emergency stop or maintenance was on.',
    labelNames: ['halted'],
  });
  let haltedBefore = false;
  const loop: SupervisedLoop = superviseLoop({
    name: 'ledger-withdrawal-auto-approval',
    logger,
    registry: options.registry,
    delayMsInitial: 1_000,
    delayMsMax: 60_000,
    consecutiveErrorsAlert: 5,
    run: async (signal) => {
      while (!signal.aborted) {
        const halted = flags.isOn(Flags.emergencyStop) || flags.isOn(Flags.maintenance);
        if (halted !== haltedBefore) logger.warn({ halted }, halted ? 'auto-approval paused by a flag' : 'auto-approval resumed');
        haltedBefore = halted;
        for (let pass = 0; !halted && pass < PASSES_PER_RUN_MAX && !signal.aborted; pass += 1) {
          const result = await approveDueWithdrawals({ database: options.database, namespace: options.namespace, coolingMs: options.coolingMs, now: now() });
          approvedTotal.inc({ outcome: 'approved' }, result.approved.length);
          approvedTotal.inc({ outcome: 'review' }, result.sentToReview.length);
          if (result.approved.length > 0) logger.info({ withdrawals: result.approved }, 'held withdrawals approved after their cooling window');
          if (result.sentToReview.length > 0) logger.warn({ withdrawals: result.sentToReview }, 'held withdrawals of blacklisted users sent to an admin');
          if (result.approved.length + result.sentToReview.length < AUTO_APPROVALS_PER_PASS_MAX) break;
        }
        runs.inc({ halted: halted ? 'yes' : 'no' });
        await sleep(options.intervalMs, signal);
      }
    },
  });
  return { stop: (timeoutMs) => loop.stop(timeoutMs) };
}
