import { eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import {
  eventSubject,
  withdrawalCompletedV1,
  withdrawalFailedV1,
  type chainWithdrawalBroadcastV1,
  type chainWithdrawalConfirmedV1,
  type chainWithdrawalFailedV1,
  type CloudEvent,
} from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { getOrCreateCounter } from '@strongbox/shared-observability';
import { createTransfers, TransferCodes, WithdrawalStates, withdrawalsTable, type TransferInput, type WithdrawalRow } from '@strongbox/ledger-data-access';
import { releaseHolds, withdrawalEventFields } from './ledger.operations';
import { withdrawalMachine } from './withdrawal.machine';

// ---------------------------------------------------------------------------------------------
// The withdrawal after approval, driven by the chain-watcher's events: `broadcast` (the user can no
// longer cancel; a fee replacement only updates the hash), `confirmed` (post the holds: completed)
// and `failed` (void the holds: the user has amount + fee back). Each handler runs in the inbox
// transaction of its event, so a redelivered event is dropped before it gets here; a copy under
// another event id, or events out of order, are handled by the withdrawal's state under its row lock.
//
// An event that contradicts the withdrawal's state (`failed` after `completed`, a broadcast of a
// withdrawal that was never approved, an unknown withdrawal) is a defect of the sender: it changes
// nothing, is logged at error and counted, and is acknowledged — redelivering it would change nothing.
// ---------------------------------------------------------------------------------------------

type Broadcast = CloudEvent<z.output<(typeof chainWithdrawalBroadcastV1)['schema']>>;
type Confirmed = CloudEvent<z.output<(typeof chainWithdrawalConfirmedV1)['schema']>>;
type Failed = CloudEvent<z.output<(typeof chainWithdrawalFailedV1)['schema']>>;

/** What a chain withdrawal event did. */
export const ChainEventOutcomes = {
  /** The withdrawal changed (state, holds, or the broadcast hash). */
  applied: 'applied',
  /** Already reflected (a copy, or a `broadcast` older than what the ledger knows); nothing changed. */
  unchanged: 'unchanged',
  /** Contradicts the withdrawal's state: a defect of the sender; nothing changed, logged at error. */
  refused: 'refused',
} as const;
export type ChainEventOutcome = (typeof ChainEventOutcomes)[keyof typeof ChainEventOutcomes];

/** Longest failure reason stored on the withdrawal row (`<reason>: <detail>`). */
const FAILURE_REASON_LENGTH_MAX = 256;
const EVENT_SOURCE = 'strongbox/ledger';

export interface WithdrawalLifecycle {
  broadcast(tx: DbExecutor, event: Broadcast): Promise<ChainEventOutcome>;
  confirmed(tx: DbExecutor, event: Confirmed): Promise<ChainEventOutcome>;
  failed(tx: DbExecutor, event: Failed): Promise<ChainEventOutcome>;
}

/**
 * The handlers of the three chain withdrawal events, each in the caller's (inbox) transaction.
 * Every outcome is counted in `ledger_withdrawal_chain_events_total{event, outcome}`; `refused`
 * is what an alert watches.
 */
export function createWithdrawalLifecycle(options: { namespace: string; logger: Logger; registry: Registry; now?: () => Date }): WithdrawalLifecycle {
  const { namespace, logger } = options;
  const now = options.now ?? (() => new Date());
  const outcomes = getOrCreateCounter(options.registry, {
    name: 'ledger_withdrawal_chain_events_total',
    help: 'Chain withdrawal events handled, by event and outcome; `refused` means the sender contradicted the withdrawal state (a defect).',
    labelNames: ['event', 'outcome'],
  });

  const done = (event: string, outcome: ChainEventOutcome): ChainEventOutcome => {
    outcomes.inc({ event, outcome });
    return outcome;
  };
  const refuse = (name: string, event: CloudEvent, row: WithdrawalRow | undefined, why: string): ChainEventOutcome => {
    logger.error(
      { alert: true, event: name, eventId: event.id, withdrawalId: row?.id ?? event.subject, state: row?.state ?? null },
      `chain withdrawal event refused: ${why}`,
    );
    return done(name, ChainEventOutcomes.refused);
  };
  const lock = async (tx: DbExecutor, withdrawalId: string): Promise<WithdrawalRow | undefined> => {
    const [row] = await tx.select().from(withdrawalsTable).where(eq(withdrawalsTable.id, withdrawalId)).for('update');
    return row;
  };
  const publish = (tx: DbExecutor, event: CloudEvent, causationId: string): Promise<void> =>
    enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event, headers: { 'Strongbox-Causation-Id': causationId } }]);
  /** The event names another user than the withdrawal: the watcher mixed withdrawals up. */
  const foreign = (row: WithdrawalRow, data: { userId: string }): boolean => row.userId !== data.userId.toLowerCase();

  return {
    async broadcast(tx, event) {
      const name = 'broadcast';
      const data = event.data;
      const row = await lock(tx, data.withdrawalId);
      if (!row) return refuse(name, event, row, 'unknown withdrawal');
      if (foreign(row, data)) return refuse(name, event, row, 'the event names another user');
      if (BigInt(data.amount) !== row.amount || data.toAddress.toLowerCase() !== row.toAddress.toLowerCase() || data.asset !== row.asset) {
        return refuse(name, event, row, 'the broadcast transaction does not match the withdrawal (amount, asset or address)');
      }
      switch (row.state) {
        case WithdrawalStates.approved: {
          await tx
            .update(withdrawalsTable)
            .set({ state: WithdrawalStates.broadcast, txHash: data.txHash, broadcastAttempt: data.attempt, updatedAt: now() })
            .where(eq(withdrawalsTable.id, row.id));
          logger.info({ withdrawalId: row.id, txHash: data.txHash, attempt: data.attempt }, 'withdrawal broadcast');
          return done(name, ChainEventOutcomes.applied);
        }
        case WithdrawalStates.broadcast: {
          // A fee replacement: the same nonce, a new hash. Only a later attempt replaces the hash, so
          // a copy of an earlier broadcast arriving late cannot bring back a replaced hash.
          if (data.attempt <= (row.broadcastAttempt ?? 0)) return done(name, ChainEventOutcomes.unchanged);
          await tx.update(withdrawalsTable).set({ txHash: data.txHash, broadcastAttempt: data.attempt, updatedAt: now() }).where(eq(withdrawalsTable.id, row.id));
          logger.info({ withdrawalId: row.id, txHash: data.txHash, attempt: data.attempt }, 'withdrawal re-broadcast with a higher fee');
          return done(name, ChainEventOutcomes.applied);
        }
        case WithdrawalStates.completed:
        case WithdrawalStates.failed:
          // Overtaken by its outcome (events are not ordered across redeliveries): nothing left to do.
          logger.info({ withdrawalId: row.id, state: row.state, attempt: data.attempt }, 'broadcast arrived after the withdrawal finished; ignored');
          return done(name, ChainEventOutcomes.unchanged);
        default:
          return refuse(name, event, row, `a withdrawal in state ${row.state} was never approved for broadcast`);
      }
    },

    async confirmed(tx, event) {
      const name = 'confirmed';
      const data = event.data;
      const row = await lock(tx, data.withdrawalId);
      if (!row) return refuse(name, event, row, 'unknown withdrawal');
      if (foreign(row, data)) return refuse(name, event, row, 'the event names another user');
      if (row.state === WithdrawalStates.completed) return done(name, ChainEventOutcomes.unchanged);
      if (!withdrawalMachine.canTransition(row.state, WithdrawalStates.completed)) {
        return refuse(name, event, row, `a withdrawal in state ${row.state} cannot complete`);
      }
      const at = now();
      const posts: TransferInput[] = [
        { id: newId(), postPendingId: row.holdTransferId, code: TransferCodes.withdrawal, reference: row.id, metadata: { txHash: data.txHash } },
      ];
      if (row.feeHoldTransferId) {
        posts.push({ id: newId(), postPendingId: row.feeHoldTransferId, code: TransferCodes.withdrawalFee, reference: row.id, metadata: { txHash: data.txHash } });
      }
      await createTransfers(tx, { namespace, causationId: event.id, transfers: posts, now: at });
      await tx.update(withdrawalsTable).set({ state: WithdrawalStates.completed, txHash: data.txHash, updatedAt: at }).where(eq(withdrawalsTable.id, row.id));
      await publish(
        tx,
        withdrawalCompletedV1.create({
          source: EVENT_SOURCE,
          subject: row.userId,
          time: at,
          data: { ...withdrawalEventFields(row), txHash: data.txHash, completedAt: at.toISOString() },
        }),
        event.id,
      );
      logger.info({ withdrawalId: row.id, txHash: data.txHash, from: row.state }, 'withdrawal completed');
      return done(name, ChainEventOutcomes.applied);
    },

    async failed(tx, event) {
      const name = 'failed';
      const data = event.data;
      const row = await lock(tx, data.withdrawalId);
      if (!row) return refuse(name, event, row, 'unknown withdrawal');
      if (foreign(row, data)) return refuse(name, event, row, 'the event names another user');
      if (row.state === WithdrawalStates.failed) return done(name, ChainEventOutcomes.unchanged);
      if (!withdrawalMachine.canTransition(row.state, WithdrawalStates.failed)) {
        return refuse(name, event, row, `a withdrawal in state ${row.state} cannot fail`);
      }
      const at = now();
      await releaseHolds(tx, namespace, row, event.id, at);
      const reason = `${data.reason}: ${data.detail}`.slice(0, FAILURE_REASON_LENGTH_MAX);
      await tx
        .update(withdrawalsTable)
        .set({ state: WithdrawalStates.failed, reason, txHash: data.txHash ?? row.txHash, updatedAt: at })
        .where(eq(withdrawalsTable.id, row.id));
      await publish(
        tx,
        withdrawalFailedV1.create({
          source: EVENT_SOURCE,
          subject: row.userId,
          time: at,
          data: { ...withdrawalEventFields(row), txHash: data.txHash, reason: data.reason, failedAt: at.toISOString() },
        }),
        event.id,
      );
      logger.warn({ withdrawalId: row.id, reason: data.reason, from: row.state }, 'withdrawal failed on chain; holds released');
      return done(name, ChainEventOutcomes.applied);
    },
  };
}
