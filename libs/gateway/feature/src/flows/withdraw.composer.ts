import { Composer } from 'grammy';
import { onDialogText, showConfirmation } from './dialog';
import { getWithdrawalTermsV1, LedgerCommandErrors, requestWithdrawalV1 } from '@strongbox/shared-contracts';
import { CommandError, Flags } from '@strongbox/shared-messaging';
import { callService } from './dependency.errors';
import { activeDialog, advanceDialog, endDialog, startDialog, type BotContext, type FlowDeps } from './flow.context';
import { amountText } from './format';
import { parseAddressInput, parseAmountInput } from './inputs';
import { requireUser } from './start.composer';

/** What a confirmed withdrawal answered; shown again when the confirm button is pressed twice. */
interface WithdrawalOutcome {
  readonly withdrawalId: string;
  readonly state: string;
  readonly amount: string;
  readonly address: string;
}

type Terms = Awaited<ReturnType<typeof fetchTerms>>;

async function fetchTerms(deps: FlowDeps, userId: string) {
  return callService('ledger', () => deps.ledger.call(getWithdrawalTermsV1, { userId, asset: deps.asset.code }));
}

/**
 * The withdrawal dialog: amount → address (EIP-55) → confirmation screen with fee and limits →
 * confirm (once per screen: the confirm button's intent id is the ledger's idempotency key, so a
 * second press — a new update — never makes a second withdrawal) or cancel. Maintenance and the
 * emergency stop refuse it with a translated reason before anything is asked.
 */
export function createWithdrawComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  /** A translated refusal when withdrawals are halted; true when the user was told. */
  async function refusedByFlags(ctx: BotContext): Promise<boolean> {
    if (deps.flags.isOn(Flags.emergencyStop)) {
      await ctx.reply(ctx.t('withdraw-emergency-stop'));
      return true;
    }
    if (deps.flags.isOn(Flags.maintenance)) {
      await ctx.reply(ctx.t('withdraw-maintenance'));
      return true;
    }
    return false;
  }

  function limitsOf(terms: Terms) {
    return {
      asset: deps.asset.code,
      available: amountText(terms.available, deps.asset),
      min: amountText(terms.min, deps.asset),
      max: amountText(terms.max, deps.asset),
      daily: amountText(terms.dailyMax, deps.asset),
    };
  }

  async function begin(ctx: BotContext): Promise<void> {
    const user = await requireUser(ctx);
    if (!user || (await refusedByFlags(ctx))) return;
    const terms = await fetchTerms(deps, user.id);
    startDialog(ctx, 'withdraw', 'amount');
    await ctx.reply(ctx.t('withdraw-ask-amount', limitsOf(terms)));
  }

  /** Checks an amount against the terms; a translated refusal (and false) when it cannot work. */
  async function amountFits(ctx: BotContext, amount: bigint, terms: Terms): Promise<boolean> {
    const variables = limitsOf(terms);
    const total = amount + BigInt(terms.fee);
    if (amount < BigInt(terms.min)) await ctx.reply(ctx.t('withdraw-below-minimum', variables));
    else if (amount > BigInt(terms.max)) await ctx.reply(ctx.t('withdraw-above-maximum', variables));
    else if (BigInt(terms.usedLast24h) + amount > BigInt(terms.dailyMax)) await ctx.reply(ctx.t('withdraw-daily-limit', variables));
    else if (total > BigInt(terms.available)) await ctx.reply(ctx.t('withdraw-insufficient', { ...variables, total: amountText(total, deps.asset) }));
    else return true;
    return false;
  }

  async function confirmWithdrawal(ctx: BotContext, userId: string, amount: bigint, address: string): Promise<void> {
    const terms = await fetchTerms(deps, userId);
    if (!(await amountFits(ctx, amount, terms))) {
      endDialog(ctx);
      return;
    }
    await showConfirmation(ctx, deps, {
      prefix: 'wd',
      data: { address },
      text: ctx.t('withdraw-confirm', {
        ...limitsOf(terms),
        amount: amountText(amount, deps.asset),
        fee: amountText(terms.fee, deps.asset),
        total: amountText(amount + BigInt(terms.fee), deps.asset),
        address,
      }),
    });
  }

  composer.chatType('private').command('withdraw', begin);
  deps.buttons.onButton('menu.withdraw', { once: false }, begin);

  composer.chatType('private').command('cancel', async (ctx, next) => {
    if (!ctx.session.dialog) return next();
    endDialog(ctx);
    await ctx.reply(ctx.t('action-cancelled'));
  });

  onDialogText(composer, 'withdraw', async (ctx, { dialog, user, text }) => {
    if (!user) return;
    if (dialog.step === 'amount') {
      const parsed = parseAmountInput(text, deps.asset);
      if (!parsed.ok) {
        await ctx.reply(ctx.t(parsed.key, parsed.variables));
        return;
      }
      const terms = await fetchTerms(deps, user.id);
      if (!(await amountFits(ctx, parsed.value, terms))) return;
      advanceDialog(ctx, 'address', { amount: parsed.value.toString() });
      await ctx.reply(ctx.t('withdraw-ask-address'));
      return;
    }
    const parsed = parseAddressInput(text);
    if (!parsed.ok) {
      await ctx.reply(ctx.t(parsed.key, parsed.variables));
      return;
    }
    const amount = dialog.data['amount'];
    if (amount === undefined) {
      endDialog(ctx);
      await ctx.reply(ctx.t('dialog-expired'));
      return;
    }
    await confirmWithdrawal(ctx, user.id, BigInt(amount), parsed.value);
  }, { skipSteps: ['confirm'] });

  async function replayOutcome(ctx: BotContext, outcome: unknown): Promise<void> {
    const done = outcome as Partial<WithdrawalOutcome> | null;
    if (!done?.amount || !done.address) return;
    const key = done.state === 'awaiting_approval' ? 'withdraw-awaiting-approval' : 'withdraw-requested';
    await ctx.reply(ctx.t(key, { amount: amountText(done.amount, deps.asset), asset: deps.asset.code, address: done.address }));
  }

  deps.buttons.onButton('wd.confirm', { once: true, replay: replayOutcome }, async (ctx, button): Promise<WithdrawalOutcome | null> => {
    const user = await requireUser(ctx);
    const dialog = activeDialog(ctx, 'withdraw');
    if (!user || !dialog || dialog.step !== 'confirm' || dialog.data['intentId'] !== button.intentId) {
      await ctx.reply(ctx.t('dialog-expired'));
      return null;
    }
    const amount = dialog.data['amount'];
    const address = dialog.data['address'];
    if (amount === undefined || address === undefined) {
      endDialog(ctx);
      await ctx.reply(ctx.t('dialog-expired'));
      return null;
    }
    if (await refusedByFlags(ctx)) {
      endDialog(ctx);
      return null;
    }
    try {
      const result = await callService('ledger', () =>
        deps.ledger.call(requestWithdrawalV1, { idempotencyKey: `wd-confirm-${button.intentId}`, userId: user.id, asset: deps.asset.code, amount, toAddress: address }),
      );
      endDialog(ctx);
      const outcome: WithdrawalOutcome = { withdrawalId: result.withdrawal.withdrawalId, state: result.withdrawal.state, amount, address };
      await replayOutcome(ctx, outcome);
      return outcome;
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      endDialog(ctx);
      const current = await fetchTerms(deps, user.id);
      const terms = limitsOf(current);
      const limit = (error.details as { limit?: string } | undefined)?.limit;
      const key =
        error.code === LedgerCommandErrors.insufficientFunds
          ? 'withdraw-insufficient'
          : error.code === LedgerCommandErrors.emergencyStop
            ? 'withdraw-emergency-stop'
            : error.code === LedgerCommandErrors.maintenance
              ? 'withdraw-maintenance'
              : error.code === LedgerCommandErrors.withdrawalLimit
                ? ({ below_minimum: 'withdraw-below-minimum', above_maximum: 'withdraw-above-maximum', daily_limit: 'withdraw-daily-limit' }[limit ?? ''] ?? 'withdraw-refused')
                : undefined;
      if (key === undefined) throw error;
      await ctx.reply(ctx.t(key, { ...terms, total: amountText(BigInt(amount) + BigInt(current.fee), deps.asset) }));
      return null;
    }
  });

  deps.buttons.onButton('wd.cancel', { once: true }, async (ctx) => {
    endDialog(ctx);
    await ctx.reply(ctx.t('action-cancelled'));
    return { cancelled: true };
  });

  return composer;
}
