import { Composer, InlineKeyboard } from 'grammy';
import { onDialogText } from './dialog';
import {
  changeSupportStatus,
  GatewayError,
  GatewayErrorCodes,
  listSupportRequests,
  openSupportRequest,
  supportRequestMachine,
} from '@strongbox/gateway-data-access';
import type { SupportRequestStatus } from '@strongbox/shared-contracts';
import { activeDialog, advanceDialog, endDialog, startDialog, type BotContext, type FlowDeps } from './flow.context';
import { backToMenu } from './menu';
import { requireUser } from './start.composer';
import { packUuid, parseSupportContact, parseSupportDescription, SUPPORT_CATEGORIES, supportCategoryOf, supportNumber, unpackUuid } from './support.inputs';

/** What a cancel press answered; shown again when the same button is pressed twice. */
interface CancelOutcome {
  readonly number: string;
  readonly cancelled: boolean;
}

/**
 * Support: a new request (category buttons → description → contact or `-` → stored in the update's
 * transaction with its `status changed` event), the list of my requests with their statuses, and
 * cancelling one (the state machine refuses it once the request is resolved, closed or cancelled).
 * Every action here starts with `sup.`: the blacklist gate lets them through, because support is
 * how a restricted user disputes the restriction.
 */
export function createSupportComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  async function showSupportMenu(ctx: BotContext): Promise<void> {
    if (!(await requireUser(ctx))) return;
    const intentId = deps.buttons.newIntentId();
    const keyboard = new InlineKeyboard()
      .text(ctx.t('support-new'), deps.buttons.sign(ctx, { action: 'sup.new', intentId }))
      .text(ctx.t('support-list'), deps.buttons.sign(ctx, { action: 'sup.list', intentId }))
      .row()
      .text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId }));
    await ctx.reply(ctx.t('support-menu'), { reply_markup: keyboard });
  }

  /** The category question; its buttons share the dialog's intent id, so an older question is refused. */
  async function askCategory(ctx: BotContext): Promise<void> {
    if (!(await requireUser(ctx))) return;
    const intentId = deps.buttons.newIntentId();
    startDialog(ctx, 'support', 'category', { intentId });
    const keyboard = new InlineKeyboard();
    SUPPORT_CATEGORIES.forEach((category, index) => {
      keyboard.text(ctx.t(`support-category-${category}`), deps.buttons.sign(ctx, { action: 'sup.cat', intentId, payload: category }));
      if (index % 2 === 1) keyboard.row();
    });
    await ctx.reply(ctx.t('support-ask-category'), { reply_markup: keyboard });
  }

  function statusText(ctx: BotContext, status: string): string {
    return ctx.t(`support-status-${status}`);
  }

  async function showRequests(ctx: BotContext): Promise<void> {
    const user = await requireUser(ctx);
    if (!user) return;
    const requests = await listSupportRequests(ctx.tx, user.id);
    if (requests.length === 0) {
      await ctx.reply(ctx.t('support-list-empty'), { reply_markup: backToMenu(ctx, deps) });
      return;
    }
    const keyboard = new InlineKeyboard();
    const lines = requests.map((request) =>
      ctx.t('support-list-line', { number: supportNumber(request.id), category: ctx.t(`support-category-${request.category}`), status: statusText(ctx, request.status) }),
    );
    for (const request of requests) {
      if (!supportRequestMachine.canTransition(request.status as SupportRequestStatus, 'cancelled')) continue;
      // One intent per button: cancelling one request must not mark the others' buttons as used.
      keyboard
        .text(ctx.t('support-cancel-button', { number: supportNumber(request.id) }), deps.buttons.sign(ctx, { action: 'sup.cx', intentId: deps.buttons.newIntentId(), payload: packUuid(request.id) }))
        .row();
    }
    keyboard.text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId: deps.buttons.newIntentId() }));
    await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
  }

  composer.chatType('private').command('support', showSupportMenu);
  deps.buttons.onButton('menu.support', { once: false }, showSupportMenu);
  deps.buttons.onButton('sup.new', { once: false, menuBound: false }, askCategory);
  deps.buttons.onButton('sup.list', { once: false, menuBound: false }, showRequests);

  deps.buttons.onButton('sup.cat', { once: false, menuBound: false }, async (ctx, button) => {
    if (!(await requireUser(ctx))) return;
    const dialog = activeDialog(ctx, 'support');
    const category = supportCategoryOf(button.payload);
    if (!dialog || dialog.step !== 'category' || dialog.data['intentId'] !== button.intentId || !category) {
      await ctx.reply(ctx.t('dialog-expired'));
      return;
    }
    advanceDialog(ctx, 'description', { category });
    await ctx.reply(ctx.t('support-ask-description'));
  });

  onDialogText(composer, 'support', async (ctx, { dialog, user, text }) => {
    if (!user) return;
    if (dialog.step === 'category') {
      await ctx.reply(ctx.t('support-choose-category'));
      return;
    }
    if (dialog.step === 'description') {
      const description = parseSupportDescription(text);
      if (!description.ok) {
        await ctx.reply(ctx.t(description.key, description.variables));
        return;
      }
      advanceDialog(ctx, 'contact', { description: description.value });
      await ctx.reply(ctx.t('support-ask-contact'));
      return;
    }
    const contact = parseSupportContact(text);
    if (!contact.ok) {
      await ctx.reply(ctx.t(contact.key, contact.variables));
      return;
    }
    const category = supportCategoryOf(dialog.data['category'] ?? '');
    const description = dialog.data['description'];
    if (!category || description === undefined) {
      endDialog(ctx);
      await ctx.reply(ctx.t('dialog-expired'));
      return;
    }
    const request = await openSupportRequest(ctx.tx, { namespace: deps.namespace, userId: user.id, category, description, contact: contact.value });
    endDialog(ctx);
    await ctx.reply(ctx.t('support-created', { number: supportNumber(request.id) }), { reply_markup: backToMenu(ctx, deps) });
  });

  async function replayCancel(ctx: BotContext, outcome: unknown): Promise<void> {
    const done = outcome as Partial<CancelOutcome> | null;
    if (!done?.number) return;
    await ctx.reply(ctx.t(done.cancelled ? 'support-cancelled' : 'support-cannot-cancel', { number: done.number }));
  }

  deps.buttons.onButton('sup.cx', { once: true, menuBound: false, replay: replayCancel }, async (ctx, button): Promise<CancelOutcome | null> => {
    const user = await requireUser(ctx);
    const requestId = unpackUuid(button.payload);
    if (!user || !requestId) {
      await ctx.reply(ctx.t('dialog-expired'));
      return null;
    }
    const number = supportNumber(requestId);
    let outcome: CancelOutcome;
    try {
      await changeSupportStatus(ctx.tx, { namespace: deps.namespace, requestId, to: 'cancelled', adminId: null, userId: user.id });
      outcome = { number, cancelled: true };
    } catch (error) {
      const refused = error instanceof GatewayError && (error.code === GatewayErrorCodes.transitionRefused || error.code === GatewayErrorCodes.notFound);
      if (!refused) throw error;
      outcome = { number, cancelled: false };
    }
    await replayCancel(ctx, outcome);
    return outcome;
  });

  return composer;
}
