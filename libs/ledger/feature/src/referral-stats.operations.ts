import { count, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { getReferralStatsV1 } from '@strongbox/shared-contracts';
import type { DatabaseHandle } from '@strongbox/shared-db';
import { referralRewardsTable, referralsTable } from '@strongbox/ledger-data-access';
import type { ReferralReward } from './referrals.handler';

type Request = z.output<(typeof getReferralStatsV1)['request']>;
type Wire = z.input<(typeof getReferralStatsV1)['response']>;

/**
 * What a referrer sees in the bot: friends recorded as referred by them, and the rewards paid to
 * them per asset (from the same tables the reward is paid into, so the figures never disagree).
 */
export function createReferralStats(options: { database: DatabaseHandle; reward: ReferralReward }) {
  const { database, reward } = options;
  return {
    async getReferralStats(request: Request): Promise<Wire> {
      const userId = request.userId.toLowerCase();
      const { invited, paid } = await database.db.transaction(
        async (tx) => {
          const [referred] = await tx.select({ invited: count() }).from(referralsTable).where(eq(referralsTable.referrerUserId, userId));
          const rewards = await tx
            .select({ asset: referralRewardsTable.asset, amount: sql<string>`sum(${referralRewardsTable.amount})::text`, count: count() })
            .from(referralRewardsTable)
            .where(eq(referralRewardsTable.referrerUserId, userId))
            .groupBy(referralRewardsTable.asset)
            .orderBy(referralRewardsTable.asset);
          return { invited: referred?.invited ?? 0, paid: rewards };
        },
        // One snapshot, so the invited count and the rewards are of the same moment.
        { isolationLevel: 'repeatable read' },
      );
      return { invited, rewardsPaid: paid, reward: { asset: reward.asset, amount: reward.amountMinor > 0n ? reward.amountMinor.toString() : '0' } };
    },
  };
}
