import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { depositConfirmedV1, depositRevertedV1 } from '@strongbox/shared-contracts';
import type { CloudEvent } from '@strongbox/shared-contracts';
import type { DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { getOrCreateCounter } from '@strongbox/shared-observability';
import {
  AccountKinds,
  accountsTable,
  createTransfers,
  DepositStates,
  depositsTable,
  ensureSystemAccounts,
  LedgerInvariantError,
  openUserAccounts,
  systemAccountId,
  TransferCodes,
  type TransferInput,
} from '@strongbox/ledger-data-access';
import type { z } from 'zod';
import type { Referrals } from './referrals.handler';

// ---------------------------------------------------------------------------------------------
// Chain deposits. Each is credited once per (chain id, tx hash, log index): the inbox drops a
// redelivered event, and the deposits table's primary key drops the same deposit arriving again
// under another event id (the watcher re-detected it after a restart).
// ---------------------------------------------------------------------------------------------

type DepositConfirmed = CloudEvent<z.output<(typeof depositConfirmedV1)['schema']>>;
type DepositReverted = CloudEvent<z.output<(typeof depositRevertedV1)['schema']>>;

export interface DepositHandlers {
  /** Credits the deposit in the caller's transaction; returns false when it was credited before. */
  credit(tx: DbExecutor, event: DepositConfirmed): Promise<boolean>;
  /** Compensates a credited deposit in the caller's transaction; returns false when there is nothing (more) to do. */
  revert(tx: DbExecutor, event: DepositReverted): Promise<boolean>;
}

function depositKey(data: { chainId: number; txHash: string; logIndex: number }): string {
  return `${data.chainId}:${data.txHash}:${data.logIndex}`;
}

export function createDepositHandlers(options: {
  namespace: string;
  logger: Logger;
  registry: Registry;
  /** Pays the referrer after a referred user's first credited deposit, in the credit's transaction. */
  referrals?: Pick<Referrals, 'rewardAfterDeposit'>;
}): DepositHandlers {
  const { namespace, logger } = options;
  const reversals = getOrCreateCounter(options.registry, {
    name: 'ledger_deposit_reversals_total',
    help: 'Credited deposits reverted by a reorg; `exposure` counts those the user account could not cover in full.',
    labelNames: ['asset', 'exposure'],
  });

  return {
    async credit(tx, event) {
      const data = event.data;
      const transferId = newId();
      const inserted = await tx
        .insert(depositsTable)
        .values({
          chainId: data.chainId,
          txHash: data.txHash,
          logIndex: data.logIndex,
          userId: data.userId,
          asset: data.asset,
          amount: BigInt(data.amount),
          state: DepositStates.credited,
          creditTransferId: transferId,
        })
        .onConflictDoNothing()
        .returning({ chainId: depositsTable.chainId });
      if (inserted.length === 0) {
        logger.info({ deposit: depositKey(data), eventId: event.id }, 'deposit already credited; event ignored');
        return false;
      }
      // A deposit may reach the ledger before the user's accounts were opened (events of two
      // contexts are not ordered); opening is idempotent.
      await ensureSystemAccounts(tx, [data.asset]);
      await openUserAccounts(tx, { namespace, userId: data.userId, assets: [data.asset], causationId: event.id });
      const [account] = await tx
        .select({ id: accountsTable.id })
        .from(accountsTable)
        .where(and(eq(accountsTable.userId, data.userId.toLowerCase()), eq(accountsTable.asset, data.asset), eq(accountsTable.kind, AccountKinds.userAvailable)));
      if (!account) throw new LedgerInvariantError(`user ${data.userId} has no ${data.asset} account right after opening it`);
      await createTransfers(tx, {
        namespace,
        causationId: event.id,
        transfers: [
          {
            id: transferId,
            debitAccountId: await systemAccountId(tx, data.asset, AccountKinds.depositsClearing),
            creditAccountId: account.id,
            amount: BigInt(data.amount),
            code: TransferCodes.deposit,
            reference: depositKey(data),
            metadata: { txHash: data.txHash, blockNumber: String(data.blockNumber) },
          },
        ],
      });
      // Only a deposit credited just now gets here, so a copy of it never reaches the reward; the
      // reward's own key keeps a second deposit from paying again.
      await options.referrals?.rewardAfterDeposit(tx, { referredUserId: data.userId, trigger: `deposit:${depositKey(data)}`, causationId: event.id });
      return true;
    },

    async revert(tx, event) {
      const data = event.data;
      const [deposit] = await tx
        .select()
        .from(depositsTable)
        .where(and(eq(depositsTable.chainId, data.chainId), eq(depositsTable.txHash, data.txHash), eq(depositsTable.logIndex, data.logIndex)))
        .for('update');
      if (!deposit) {
        logger.warn({ deposit: depositKey(data), eventId: event.id }, 'reverted deposit was never credited; nothing to compensate');
        return false;
      }
      if (deposit.state === DepositStates.reverted) return false;
      // Take what the user still has; what the user already spent is absorbed by the negative
      // exposure account, which an alert watches. The user account never goes below zero.
      const [account] = await tx
        .select()
        .from(accountsTable)
        .where(and(eq(accountsTable.userId, deposit.userId), eq(accountsTable.asset, deposit.asset), eq(accountsTable.kind, AccountKinds.userAvailable)))
        .for('update');
      if (!account) throw new LedgerInvariantError(`user ${deposit.userId} has a credited deposit but no ${deposit.asset} account`);
      const available = account.creditsPosted - account.debitsPosted - account.debitsPending;
      const fromUser = available >= deposit.amount ? deposit.amount : available > 0n ? available : 0n;
      const fromExposure = deposit.amount - fromUser;
      const clearing = await systemAccountId(tx, deposit.asset, AccountKinds.depositsClearing);
      const transfers: TransferInput[] = [];
      const reference = depositKey(data);
      if (fromUser > 0n) {
        transfers.push({ id: newId(), debitAccountId: account.id, creditAccountId: clearing, amount: fromUser, code: TransferCodes.depositReversal, reference });
      }
      if (fromExposure > 0n) {
        transfers.push({
          id: newId(),
          debitAccountId: await systemAccountId(tx, deposit.asset, AccountKinds.negativeExposure),
          creditAccountId: clearing,
          amount: fromExposure,
          code: TransferCodes.depositReversal,
          reference,
          metadata: { userId: deposit.userId, reason: data.reason.slice(0, 256) },
        });
      }
      await createTransfers(tx, { namespace, causationId: event.id, transfers });
      await tx
        .update(depositsTable)
        .set({ state: DepositStates.reverted, reversedFromUser: fromUser, reversedFromExposure: fromExposure, revertedAt: new Date() })
        .where(and(eq(depositsTable.chainId, data.chainId), eq(depositsTable.txHash, data.txHash), eq(depositsTable.logIndex, data.logIndex)));
      reversals.inc({ asset: deposit.asset, exposure: fromExposure > 0n ? 'yes' : 'no' });
      logger.error(
        { alert: true, deposit: reference, userId: deposit.userId, amount: deposit.amount.toString(), fromUser: fromUser.toString(), fromExposure: fromExposure.toString() },
        fromExposure > 0n ? 'credited deposit reverted by a reorg; part was already spent and is booked as negative exposure' : 'credited deposit reverted by a reorg',
      );
      return true;
    },
  };
}
