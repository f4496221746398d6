import { Composer, InlineKeyboard } from 'grammy';
import { availableBalance } from './ledger.reads';
import { onDialogText, showConfirmation } from './dialog';
import { LedgerCommandErrors, listPlanDepositsV1, listPlansV1, openPlanDepositV1, PlanCommandErrors } from '@strongbox/shared-contracts';
import { CommandError } from '@strongbox/shared-messaging';
import { callService } from './dependency.errors';
import { activeDialog, advanceDialog, endDialog, startDialog, type BotContext, type FlowDeps } from './flow.context';
import { amountText, dateText } from './format';
import { parseAmountInput } from './inputs';
import { rateText } from './plans.format';
import { requireUser } from './start.composer';
import { localeOf } from './user.middleware';

/** Plans offered as buttons on one screen; the catalogue is small, this only bounds the keyboard. */
const PLANS_SHOWN_MAX = 20;

/** What a confirmed deposit answered; shown again when the confirm button is pressed twice. */
interface OpenOutcome {
  readonly name: string;
  readonly amount: string;
  readonly maturesAt: string;
}

/** The terms the user was shown, kept in the dialog so the amount is checked against them. */
interface OfferedPlan {
  readonly code: string;
  readonly version: string;
  readonly rateBps: string;
  readonly termDays: string;
  readonly min: string;
  readonly max: string;
}

/**
 * Savings plans: the levels on offer (a disabled one says until when), opening a deposit (plan
 * button → amount → confirmation → `open-plan-deposit` with the exact version shown, once per
 * screen: the confirm button's intent id is the ledger's idempotency key) and my deposits with the
 * interest credited so far. The offer is kept in the dialog (button payloads hold only an index:
 * plan codes can be longer than callback data leaves room for).
 */
export function createPlansComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const asset = deps.asset.code;

  const available = (userId: string) => availableBalance(deps, userId);

  async function showPlans(ctx: BotContext): Promise<void> {
    if (!(await requireUser(ctx))) return;
    const { plans } = await callService('ledger', () => deps.ledger.call(listPlansV1, { asset, includeDisabled: true }));
    const now = Date.now();
    const language = localeOf(ctx);
    const intentId = deps.buttons.newIntentId();
    const offered: Record<string, string> = { intentId };
    const lines = [ctx.t('plans-title')];
    const keyboard = new InlineKeyboard();
    let index = 0;
    for (const plan of plans.slice(0, PLANS_SHOWN_MAX)) {
      const terms = {
        name: plan.code,
        rate: rateText(plan.rateBps),
        days: plan.termDays,
        min: amountText(plan.minAmount, deps.asset),
        max: amountText(plan.maxAmount, deps.asset),
        asset,
      };
      lines.push(ctx.t('plans-line', terms));
      if (plan.disabledUntil !== null && new Date(plan.disabledUntil).getTime() > now) {
        lines.push(ctx.t('plans-disabled-until', { name: plan.code, until: dateText(plan.disabledUntil, language) }));
        continue;
      }
      const entry: OfferedPlan = {
        code: plan.code,
        version: String(plan.version),
        rateBps: String(plan.rateBps),
        termDays: String(plan.termDays),
        min: plan.minAmount,
        max: plan.maxAmount,
      };
      offered[`plan${index}`] = JSON.stringify(entry);
      keyboard.text(ctx.t('plans-open-button', { name: plan.code }), deps.buttons.sign(ctx, { action: 'pl.open', intentId, payload: String(index) })).row();
      index += 1;
    }
    if (plans.length === 0) lines.push(ctx.t('plans-empty'));
    startDialog(ctx, 'plans', 'choose', offered);
    keyboard.text(ctx.t('plans-my-button'), deps.buttons.sign(ctx, { action: 'pl.mine', intentId })).row();
    keyboard.text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId }));
    await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
  }

  function offeredPlan(data: Readonly<Record<string, string>>, key: string): OfferedPlan | undefined {
    const text = data[key];
    return text === undefined ? undefined : (JSON.parse(text) as OfferedPlan);
  }

  async function showMyDeposits(ctx: BotContext): Promise<void> {
    const user = await requireUser(ctx);
    if (!user) return;
    const { deposits } = await callService('ledger', () => deps.ledger.call(listPlanDepositsV1, { userId: user.id, asset }));
    const language = localeOf(ctx);
    const lines = [ctx.t('plans-my-title')];
    if (deposits.length === 0) lines.push(ctx.t('plans-my-empty'));
    for (const deposit of deposits) {
      lines.push(
        ctx.t(deposit.state === 'open' ? 'plans-my-line' : 'plans-my-line-matured', {
          name: deposit.planCode,
          amount: amountText(deposit.principal, deps.asset),
          accrued: amountText(deposit.accruedTotal, deps.asset),
          asset,
          maturity: dateText(deposit.maturesAt, language),
        }),
      );
    }
    const keyboard = new InlineKeyboard().text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId: deps.buttons.newIntentId() }));
    await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
  }

  composer.chatType('private').command('plans', showPlans);
  deps.buttons.onButton('menu.plans', { once: false }, showPlans);
  deps.buttons.onButton('pl.mine', { once: false, menuBound: false }, showMyDeposits);

  deps.buttons.onButton('pl.open', { once: false, menuBound: false }, async (ctx, button) => {
    const user = await requireUser(ctx);
    if (!user) return;
    const dialog = activeDialog(ctx, 'plans');
    const plan = dialog && dialog.data['intentId'] === button.intentId ? offeredPlan(dialog.data, `plan${button.payload}`) : undefined;
    if (!dialog || !plan) {
      await ctx.reply(ctx.t('dialog-expired'));
      return;
    }
    advanceDialog(ctx, 'amount', { chosen: JSON.stringify(plan) });
    await ctx.reply(ctx.t('plans-ask-amount', { asset, name: plan.code, available: amountText(await available(user.id), deps.asset) }));
  });

  onDialogText(composer, 'plans', async (ctx, { dialog, user, text }) => {
    if (!user) return;
    const plan = offeredPlan(dialog.data, 'chosen');
    if (!plan) {
      endDialog(ctx);
      await ctx.reply(ctx.t('dialog-expired'));
      return;
    }
    const parsed = parseAmountInput(text, deps.asset);
    if (!parsed.ok) {
      await ctx.reply(ctx.t(parsed.key, parsed.variables));
      return;
    }
    const limits = { name: plan.code, asset, min: amountText(plan.min, deps.asset), max: amountText(plan.max, deps.asset) };
    if (parsed.value < BigInt(plan.min) || parsed.value > BigInt(plan.max)) {
      await ctx.reply(ctx.t('plans-amount-limit', limits));
      return;
    }
    const balance = await available(user.id);
    if (parsed.value > balance) {
      await ctx.reply(ctx.t('plans-insufficient', { asset, available: amountText(balance, deps.asset) }));
      return;
    }
    await showConfirmation(ctx, deps, {
      prefix: 'pl',
      data: { amount: parsed.value.toString() },
      text: ctx.t('plans-confirm', { name: plan.code, amount: amountText(parsed.value, deps.asset), asset, rate: rateText(Number(plan.rateBps)), days: plan.termDays }),
    });
  }, { skipSteps: ['choose', 'confirm'] });

  async function replayOutcome(ctx: BotContext, outcome: unknown): Promise<void> {
    const done = outcome as Partial<OpenOutcome> | null;
    if (!done?.name || !done.amount || !done.maturesAt) return;
    await ctx.reply(ctx.t('plans-opened', { name: done.name, amount: amountText(done.amount, deps.asset), asset, maturity: dateText(done.maturesAt, localeOf(ctx)) }));
  }

  deps.buttons.onButton('pl.confirm', { once: true, replay: replayOutcome }, async (ctx, button): Promise<OpenOutcome | null> => {
    const user = await requireUser(ctx);
    const dialog = activeDialog(ctx, 'plans');
    const plan = dialog ? offeredPlan(dialog.data, 'chosen') : undefined;
    const amount = dialog?.data['amount'];
    if (!user || dialog?.step !== 'confirm' || dialog.data['intentId'] !== button.intentId || !plan || !amount) {
      await ctx.reply(ctx.t('dialog-expired'));
      return null;
    }
    endDialog(ctx);
    try {
      const result = await callService('ledger', () =>
        deps.ledger.call(openPlanDepositV1, { idempotencyKey: `pl-confirm-${button.intentId}`, userId: user.id, planCode: plan.code, planVersion: Number(plan.version), amount }),
      );
      const outcome: OpenOutcome = { name: plan.code, amount, maturesAt: result.deposit.maturesAt };
      await replayOutcome(ctx, outcome);
      return outcome;
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      const details = (error.details ?? {}) as Record<string, string | undefined>;
      switch (error.code) {
        case PlanCommandErrors.planDisabled:
          await ctx.reply(ctx.t('plans-disabled-until', { name: plan.code, until: dateText(details['disabledUntil'] ?? new Date().toISOString(), localeOf(ctx)) }));
          break;
        case PlanCommandErrors.planVersionSuperseded:
        case PlanCommandErrors.planNotFound:
          await ctx.reply(ctx.t('plans-terms-changed', { name: plan.code }));
          break;
        case PlanCommandErrors.planAmountLimit:
          await ctx.reply(ctx.t('plans-amount-limit', { name: plan.code, asset, min: amountText(plan.min, deps.asset), max: amountText(plan.max, deps.asset) }));
          break;
        case LedgerCommandErrors.insufficientFunds:
          await ctx.reply(ctx.t('plans-insufficient', { asset, available: amountText(await available(user.id), deps.asset) }));
          break;
        case LedgerCommandErrors.accountNotFound:
          // The wallet is opened moments after /start; until then there is nothing to put in.
          await ctx.reply(ctx.t('plans-insufficient', { asset, available: '0' }));
          break;
        default:
          throw error;
      }
      return null;
    }
  });

  deps.buttons.onButton('pl.cancel', { once: true }, async (ctx) => {
    endDialog(ctx);
    await ctx.reply(ctx.t('action-cancelled'));
    return { cancelled: true };
  });

  return composer;
}
