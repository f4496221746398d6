import { Composer } from 'grammy';
import { availableBalance } from './ledger.reads';
import { onDialogText, showConfirmation } from './dialog';
import { findUserByReferralCode } from '@strongbox/gateway-data-access';
import { LedgerCommandErrors, transferV1 } from '@strongbox/shared-contracts';
import { CommandError, Flags } from '@strongbox/shared-messaging';
import { callService } from './dependency.errors';
import { activeDialog, advanceDialog, endDialog, startDialog, type BotContext, type FlowDeps } from './flow.context';
import { amountText } from './format';
import { parseAmountInput } from './inputs';
import { requireUser } from './start.composer';
import { parseWalletCodeInput } from './wallet-code';

/** What a confirmed transfer answered; shown again when the confirm button is pressed twice. */
interface TransferOutcome {
  readonly transferId: string;
  readonly amount: string;
  readonly recipient: string;
}

/** The ledger's refusals of a transfer, as translation keys. */
const REFUSAL_KEYS: Readonly<Record<string, string>> = {
  [LedgerCommandErrors.insufficientFunds]: 'transfer-insufficient',
  [LedgerCommandErrors.emergencyStop]: 'transfer-emergency-stop',
  [LedgerCommandErrors.accountNotFound]: 'transfer-recipient-unknown',
  [LedgerCommandErrors.invalidTransfer]: 'transfer-refused',
};

/**
 * Internal transfer: recipient's wallet code → amount → confirmation → `transfer` (once per
 * screen: the confirm button's intent id is the ledger's idempotency key, so a second press never
 * moves money twice). Unknown or own codes and amounts above the balance are refused before the
 * confirmation; what the ledger refuses at the end is translated too.
 */
export function createTransferComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  const available = (userId: string) => availableBalance(deps, userId);

  async function refusedByStop(ctx: BotContext): Promise<boolean> {
    if (!deps.flags.isOn(Flags.emergencyStop)) return false;
    await ctx.reply(ctx.t('transfer-emergency-stop'));
    return true;
  }

  async function begin(ctx: BotContext): Promise<void> {
    if (!(await requireUser(ctx)) || (await refusedByStop(ctx))) return;
    startDialog(ctx, 'transfer', 'recipient');
    await ctx.reply(ctx.t('transfer-ask-recipient'));
  }

  composer.chatType('private').command('transfer', begin);
  deps.buttons.onButton('menu.transfer', { once: false }, begin);

  onDialogText(composer, 'transfer', async (ctx, { dialog, user, text }) => {
    if (!user) return;
    const asset = deps.asset.code;

    if (dialog.step === 'recipient') {
      const code = parseWalletCodeInput(text);
      if (!code.ok) {
        await ctx.reply(ctx.t(code.key, code.variables));
        return;
      }
      const recipient = await findUserByReferralCode(ctx.tx, code.value);
      if (!recipient) {
        await ctx.reply(ctx.t('transfer-recipient-unknown'));
        return;
      }
      if (recipient.id === user.id) {
        await ctx.reply(ctx.t('transfer-recipient-self'));
        return;
      }
      advanceDialog(ctx, 'amount', { recipientId: recipient.id, recipient: code.value });
      await ctx.reply(ctx.t('transfer-ask-amount', { asset, available: amountText(await available(user.id), deps.asset) }));
      return;
    }

    const parsed = parseAmountInput(text, deps.asset);
    if (!parsed.ok) {
      await ctx.reply(ctx.t(parsed.key, parsed.variables));
      return;
    }
    const balance = await available(user.id);
    if (parsed.value > balance) {
      await ctx.reply(ctx.t('transfer-insufficient', { asset, available: amountText(balance, deps.asset) }));
      return;
    }
    await showConfirmation(ctx, deps, {
      prefix: 'tr',
      data: { amount: parsed.value.toString() },
      text: ctx.t('transfer-confirm', { amount: amountText(parsed.value, deps.asset), asset, recipient: dialog.data['recipient'] ?? '' }),
    });
  }, { skipSteps: ['confirm'] });

  async function replayOutcome(ctx: BotContext, outcome: unknown): Promise<void> {
    const done = outcome as Partial<TransferOutcome> | null;
    if (!done?.amount || !done.recipient) return;
    await ctx.reply(ctx.t('transfer-done', { amount: amountText(done.amount, deps.asset), asset: deps.asset.code, recipient: done.recipient }));
  }

  deps.buttons.onButton('tr.confirm', { once: true, replay: replayOutcome }, async (ctx, button): Promise<TransferOutcome | null> => {
    const user = await requireUser(ctx);
    const dialog = activeDialog(ctx, 'transfer');
    const amount = dialog?.data['amount'];
    const recipientId = dialog?.data['recipientId'];
    const recipient = dialog?.data['recipient'];
    if (!user || dialog?.step !== 'confirm' || dialog.data['intentId'] !== button.intentId || !amount || !recipientId || !recipient) {
      await ctx.reply(ctx.t('dialog-expired'));
      return null;
    }
    endDialog(ctx);
    if (await refusedByStop(ctx)) return null;
    try {
      const result = await callService('ledger', () =>
        deps.ledger.call(transferV1, { idempotencyKey: `tr-confirm-${button.intentId}`, fromUserId: user.id, toUserId: recipientId, asset: deps.asset.code, amount }),
      );
      const outcome: TransferOutcome = { transferId: result.transferId, amount, recipient };
      await replayOutcome(ctx, outcome);
      return outcome;
    } catch (error) {
      const key = error instanceof CommandError ? REFUSAL_KEYS[error.code] : undefined;
      if (key === undefined) throw error;
      const left = key === 'transfer-insufficient' ? await available(user.id) : 0n;
      await ctx.reply(ctx.t(key, { asset: deps.asset.code, available: amountText(left, deps.asset) }));
      return null;
    }
  });

  deps.buttons.onButton('tr.cancel', { once: true }, async (ctx) => {
    endDialog(ctx);
    await ctx.reply(ctx.t('action-cancelled'));
    return { cancelled: true };
  });

  return composer;
}
