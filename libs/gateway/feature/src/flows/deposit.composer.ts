import { Composer, InlineKeyboard, InputFile } from 'grammy';
import { onDialogText } from './dialog';
import QRCode from 'qrcode';
import { ChainCommandErrors, claimDepositV1, getDepositAddressV1 } from '@strongbox/shared-contracts';
import { CommandError } from '@strongbox/shared-messaging';
import { callService } from './dependency.errors';
import { endDialog, startDialog, type BotContext, type FlowDeps } from './flow.context';
import { parseTxHashInput } from './inputs';
import { requireUser } from './start.composer';

/** Pixels of the QR code image: large enough to scan from another phone's screen. */
const QR_WIDTH_PX = 512;

/** The deposit address as a PNG QR code (error correction M, as wallets scan it). */
export function depositQrPng(address: string): Promise<Buffer> {
  return QRCode.toBuffer(address, { type: 'png', width: QR_WIDTH_PX, errorCorrectionLevel: 'M', margin: 2 });
}

/** The deposit address as text and as a QR code, and a claim by transaction hash. */
export function createDepositComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  async function showDeposit(ctx: BotContext): Promise<void> {
    const user = await requireUser(ctx);
    if (!user) return;
    let address;
    try {
      address = await callService('chain-watcher', () => deps.chain.call(getDepositAddressV1, { userId: user.id }));
    } catch (error) {
      // The watcher assigns the address when the ledger has opened the wallet: moments after /start.
      if (error instanceof CommandError && error.code === ChainCommandErrors.addressNotFound) {
        await ctx.reply(ctx.t('deposit-address-pending'));
        return;
      }
      throw error;
    }
    const intentId = deps.buttons.newIntentId();
    const keyboard = new InlineKeyboard()
      .text(ctx.t('deposit-claim'), deps.buttons.sign(ctx, { action: 'dep.claim', intentId }))
      .row()
      .text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId }));
    await ctx.reply(ctx.t('deposit-address', { asset: deps.asset.code, chainId: address.chainId, address: address.address, confirmations: address.requiredConfirmations ?? '—' }));
    await ctx.replyWithPhoto(new InputFile(await depositQrPng(address.address), 'deposit-address.png'), {
      caption: ctx.t('deposit-qr-caption', { address: address.address }),
      reply_markup: keyboard,
    });
  }

  composer.chatType('private').command('deposit', showDeposit);
  deps.buttons.onButton('menu.deposit', { once: false }, showDeposit);
  deps.buttons.onButton('dep.claim', { once: false, menuBound: false }, async (ctx) => {
    if (!(await requireUser(ctx))) return;
    startDialog(ctx, 'claim', 'hash');
    await ctx.reply(ctx.t('deposit-claim-ask'));
  });

  onDialogText(composer, 'claim', async (ctx, { user, text }) => {
    if (!user) return;
    const parsed = parseTxHashInput(text);
    if (!parsed.ok) {
      await ctx.reply(ctx.t(parsed.key, parsed.variables));
      return;
    }
    const claim = await callService('chain-watcher', () => deps.chain.call(claimDepositV1, { userId: user.id, txHash: parsed.value }));
    endDialog(ctx);
    const key = {
      confirmed: 'deposit-claim-confirmed',
      awaiting_confirmations: 'deposit-claim-awaiting',
      pending_network_recovery: 'deposit-claim-pending-network',
      not_found: 'deposit-claim-not-found',
      below_dust_minimum: 'deposit-claim-dust',
    }[claim.status];
    await ctx.reply(ctx.t(key));
  });

  return composer;
}
