import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { minorUnits } from './ledger.schema';

// What the ledger keeps about users beyond their accounts: who referred whom (and the one reward
// each referral pays), and which users an admin blacklisted. As everywhere in the ledger, money
// moves only by transfers; these tables say why and when.

/** Longest reason an admin may give when blacklisting a user or lifting it. */
export const BLACKLIST_REASON_LENGTH_MAX = 256;

/**
 * Referrals, from `bot.evt.user.registered.v1` carrying `referrerUserId`. One row per referred
 * user: a user is referred at most once, and never by themselves.
 */
export const referralsTable = pgTable(
  'referrals',
  {
    referredUserId: uuid('referred_user_id').primaryKey(),
    referrerUserId: uuid('referrer_user_id').notNull(),
    /** The registration event that recorded it. */
    eventId: text('event_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('referrals_referrer_idx').on(table.referrerUserId),
    check('referrals_not_self_ck', sql`referred_user_id <> referrer_user_id`),
  ],
);
export type ReferralRow = typeof referralsTable.$inferSelect;

/**
 * Referral rewards paid. Rule: at most one per referred user (the primary key), inserted in the
 * transaction that credits the referred user's first deposit together with the reward transfer, so
 * a redelivered deposit, a second deposit or a reverted first deposit never pays again. A reverted
 * first deposit leaves the reward paid: that expense is the business's.
 */
export const referralRewardsTable = pgTable(
  'referral_rewards',
  {
    referredUserId: uuid('referred_user_id').primaryKey(),
    referrerUserId: uuid('referrer_user_id').notNull(),
    asset: text('asset').notNull(),
    amount: minorUnits('amount').notNull(),
    /** The transfer from the referral expense account to the referrer's available account. */
    transferId: uuid('transfer_id').notNull(),
    /** What triggered it: the deposit key (`chainId:txHash:logIndex`) or the registration event id. */
    trigger: text('trigger').notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('referral_rewards_referrer_idx').on(table.referrerUserId), check('referral_rewards_amount_ck', sql`amount > 0`)],
);
export type ReferralRewardRow = typeof referralRewardsTable.$inferSelect;

/**
 * The user blacklist, one row per user an admin ever listed. Rule: while `blacklisted`, every new
 * withdrawal of the user waits for an admin (`awaiting_approval`, reason `user_blacklisted`) and the
 * auto-approval job leaves the user's held withdrawals to an admin too. Lifting it keeps the row with
 * `blacklisted = false` and the lifting admin and reason.
 */
export const userBlacklistTable = pgTable(
  'user_blacklist',
  {
    userId: uuid('user_id').primaryKey(),
    blacklisted: boolean('blacklisted').notNull(),
    /** Why the admin listed the user, or why it was lifted. */
    reason: text('reason').notNull(),
    /** The admin who made the latest change. */
    adminId: uuid('admin_id').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  () => [check('user_blacklist_reason_ck', sql`length(reason) between 1 and ${sql.raw(String(BLACKLIST_REASON_LENGTH_MAX))}`)],
);
export type UserBlacklistRow = typeof userBlacklistTable.$inferSelect;
