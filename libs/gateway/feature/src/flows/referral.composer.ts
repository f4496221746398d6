import { Composer } from 'grammy';
import { getReferralStatsV1 } from '@strongbox/shared-contracts';
import { callService } from './dependency.errors';
import type { BotContext, FlowDeps } from './flow.context';
import { amountText } from './format';
import { backToMenu } from './menu';
import { requireUser } from './start.composer';

/** The deep link that registers a friend with the user's code: `https://t.me/<bot>?start=<code>`. */
export function referralLink(botUsername: string, code: string): string {
  return `https://t.me/${botUsername.replace(/^@/, '')}?start=${code}`;
}

/**
 * Referral: the user's link and wallet code (the same code receives internal transfers), and
 * what inviting earned so far, read from the ledger, which records referrals and pays rewards.
 */
export function createReferralComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  async function showReferral(ctx: BotContext): Promise<void> {
    const user = await requireUser(ctx);
    if (!user) return;
    const code = user.ownReferralCode;
    if (code === null) {
      await ctx.reply(ctx.t('referral-no-code'));
      return;
    }
    const stats = await callService('ledger', () => deps.ledger.call(getReferralStatsV1, { userId: user.id }));
    // Rewards are paid in the wallet's asset; the ledger's configuration keeps them so.
    const paid = stats.rewardsPaid.find((reward) => reward.asset === deps.asset.code)?.amount ?? '0';
    const rewardOn = stats.reward.asset === deps.asset.code && stats.reward.amount !== '0';
    const lines = [
      ctx.t(rewardOn ? 'referral-info' : 'referral-info-no-reward', {
        link: referralLink(deps.botUsername, code),
        reward: rewardOn ? amountText(stats.reward.amount, deps.asset) : '0',
        asset: deps.asset.code,
        code,
      }),
      ctx.t('referral-stats', { invited: stats.invited, rewards: `${amountText(paid, deps.asset)} ${deps.asset.code}` }),
    ];
    await ctx.reply(lines.join('\n\n'), { reply_markup: backToMenu(ctx, deps), link_preview_options: { is_disabled: true } });
  }

  composer.chatType('private').command('referral', showReferral);
  deps.buttons.onButton('menu.referral', { once: false }, showReferral);
  return composer;
}
