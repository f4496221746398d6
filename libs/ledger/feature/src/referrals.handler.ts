import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { eventSubject, referralRewardPaidV1, type CloudEvent, type userRegisteredV1 } from '@strongbox/shared-contracts';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
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
  referralRewardsTable,
  referralsTable,
  systemAccountId,
  TransferCodes,
} from '@strongbox/ledger-data-access';

// ---------------------------------------------------------------------------------------------
// Referral rewards. `user registered` with a `referrerUserId` records the referral; the referred
// user's first credited deposit pays the referrer the configured reward, from the referral expense
// account to the referrer's available account, once per referred user: the reward row's primary key
// is inserted in the transaction of the credit, together with the transfer and its events.
//
// Rules, stated once:
// - A re-delivered deposit is dropped before it gets here (inbox, deposit key); a second deposit
//   finds the reward row and pays nothing.
// - A reverted first deposit leaves the reward paid: the expense is the business's, not clawed back.
// - Registration and deposit events come from two services and are not ordered: when the referral is
//   recorded after a deposit was already credited, recording it pays the reward. Both paths take the
//   same per-user advisory lock first, so neither can miss the other.
// ---------------------------------------------------------------------------------------------

type UserRegistered = CloudEvent<z.output<(typeof userRegisteredV1)['schema']>>;

export interface ReferralReward {
  /** Asset the reward is paid in; must be one of the ledger's assets. */
  readonly asset: string;
  /** Minor units; 0 disables rewards (referrals are still recorded). */
  readonly amountMinor: bigint;
}

export const ReferralOutcomes = {
  /** The referral was recorded (and the reward paid if a deposit was already credited). */
  recorded: 'recorded',
  /** No referrer, or the user named themselves. */
  none: 'none',
  /** The user's referral was recorded before. */
  exists: 'exists',
} as const;
export type ReferralOutcome = (typeof ReferralOutcomes)[keyof typeof ReferralOutcomes];

export interface Referrals {
  /** Records the referral of a newly registered user, in the caller's transaction. */
  record(tx: DbExecutor, event: UserRegistered): Promise<ReferralOutcome>;
  /**
   * Pays the referrer of `referredUserId` after a credited deposit, in the caller's transaction;
   * returns the reward transfer id, or null when there is no referral, rewards are off, or it was paid.
   */
  rewardAfterDeposit(tx: DbExecutor, input: { referredUserId: string; trigger: string; causationId: string }): Promise<string | null>;
}

export function createReferrals(options: { namespace: string; schema: string; logger: Logger; registry: Registry; reward: ReferralReward; now?: () => Date }): Referrals {
  const { namespace, logger, reward } = options;
  const now = options.now ?? (() => new Date());
  const paid = getOrCreateCounter(options.registry, {
    name: 'ledger_referral_rewards_paid_total',
    help: 'Referral rewards paid to referrers, by asset.',
    labelNames: ['asset'],
  });

  /** Serialises the referral paths of one referred user until the transaction ends. */
  const lockReferred = (tx: DbExecutor, userId: string) =>
    tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${options.schema}:ledger.referral:${userId}`}, 0))`);

  async function pay(tx: DbExecutor, referredUserId: string, trigger: string, causationId: string): Promise<string | null> {
    if (reward.amountMinor <= 0n) return null;
    const [referral] = await tx.select().from(referralsTable).where(eq(referralsTable.referredUserId, referredUserId));
    if (!referral) return null;
    const transferId = newId();
    const at = now();
    const inserted = await tx
      .insert(referralRewardsTable)
      .values({ referredUserId, referrerUserId: referral.referrerUserId, asset: reward.asset, amount: reward.amountMinor, transferId, trigger, paidAt: at })
      .onConflictDoNothing({ target: referralRewardsTable.referredUserId })
      .returning({ transferId: referralRewardsTable.transferId });
    if (inserted.length === 0) return null;
    // The referrer may never have been seen by the ledger in this asset; opening is idempotent.
    await ensureSystemAccounts(tx, [reward.asset]);
    await openUserAccounts(tx, { namespace, userId: referral.referrerUserId, assets: [reward.asset], causationId });
    const [account] = await tx
      .select({ id: accountsTable.id })
      .from(accountsTable)
      .where(and(eq(accountsTable.userId, referral.referrerUserId), eq(accountsTable.asset, reward.asset), eq(accountsTable.kind, AccountKinds.userAvailable)));
    if (!account) throw new LedgerInvariantError(`referrer ${referral.referrerUserId} has no ${reward.asset} account right after opening it`);
    await createTransfers(tx, {
      namespace,
      causationId,
      now: at,
      transfers: [
        {
          id: transferId,
          debitAccountId: await systemAccountId(tx, reward.asset, AccountKinds.referralExpense),
          creditAccountId: account.id,
          amount: reward.amountMinor,
          code: TransferCodes.referralReward,
          reference: `referral:${referredUserId}`,
          metadata: { referredUserId, trigger: trigger.slice(0, 256) },
        },
      ],
    });
    const event = referralRewardPaidV1.create({
      source: 'strongbox/ledger',
      subject: referral.referrerUserId,
      time: at,
      data: {
        referrerUserId: referral.referrerUserId,
        referredUserId,
        asset: reward.asset,
        amount: reward.amountMinor.toString(),
        transferId,
        paidAt: at.toISOString(),
      },
    });
    await enqueueEvents(tx, [{ subject: eventSubject(namespace, event.type), event, headers: { 'Strongbox-Causation-Id': causationId } }]);
    paid.inc({ asset: reward.asset });
    logger.info({ referrerUserId: referral.referrerUserId, referredUserId, amount: reward.amountMinor.toString(), asset: reward.asset, trigger }, 'referral reward paid');
    return transferId;
  }

  return {
    async record(tx, event) {
      const referredUserId = event.data.userId.toLowerCase();
      const referrerUserId = event.data.referrerUserId?.toLowerCase() ?? null;
      if (referrerUserId === null) return ReferralOutcomes.none;
      if (referrerUserId === referredUserId) {
        logger.warn({ userId: referredUserId, eventId: event.id }, 'a user cannot refer themselves; referral ignored');
        return ReferralOutcomes.none;
      }
      await lockReferred(tx, referredUserId);
      const inserted = await tx
        .insert(referralsTable)
        .values({ referredUserId, referrerUserId, eventId: event.id })
        .onConflictDoNothing({ target: referralsTable.referredUserId })
        .returning({ referredUserId: referralsTable.referredUserId });
      if (inserted.length === 0) return ReferralOutcomes.exists;
      // The deposit may have been credited before the registration reached the ledger.
      const [credited] = await tx
        .select({ chainId: depositsTable.chainId })
        .from(depositsTable)
        .where(and(eq(depositsTable.userId, referredUserId), eq(depositsTable.state, DepositStates.credited)))
        .limit(1);
      if (credited) await pay(tx, referredUserId, `registration:${event.id}`, event.id);
      return ReferralOutcomes.recorded;
    },

    async rewardAfterDeposit(tx, input) {
      if (reward.amountMinor <= 0n) return null;
      const referredUserId = input.referredUserId.toLowerCase();
      await lockReferred(tx, referredUserId);
      return pay(tx, referredUserId, input.trigger, input.causationId);
    },
  };
}
