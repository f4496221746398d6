import { Composer, InlineKeyboard } from 'grammy';
import { getBalanceV1, listHistoryV1 } from '@strongbox/shared-contracts';
import { FIAT_CURRENCIES, setFiatCurrency } from '@strongbox/gateway-data-access';
import { fiatValueText } from '../rates';
import { callService } from './dependency.errors';
import type { BotContext, FlowDeps } from './flow.context';
import { amountText, dateText } from './format';
import { requireUser } from './start.composer';
import { localeOf } from './user.middleware';

/** Movements on one history page. */
export const HISTORY_PAGE_SIZE = 5;
/** Pages a user can go back through (the session keeps one cursor per page). */
const HISTORY_PAGES_MAX = 50;

/** Balance (available, and what is locked in plans or held for withdrawals) and paged history. */
export function createBalanceComposer(deps: FlowDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  async function showBalance(ctx: BotContext): Promise<void> {
    const user = await requireUser(ctx);
    if (!user) return;
    const balance = await callService('ledger', () => deps.ledger.call(getBalanceV1, { userId: user.id, asset: deps.asset.code }));
    const locked = BigInt(balance.locked) + BigInt(balance.pendingOut);
    const lines = [
      ctx.t('balance-title'),
      ctx.t('balance-line', { asset: deps.asset.code, available: amountText(balance.available, deps.asset), locked: amountText(locked, deps.asset) }),
    ];
    // Display only: a rate never takes part in moving money.
    if (deps.rates) {
      const total = BigInt(balance.available) + locked;
      lines.push(fiatValueText((key, variables) => ctx.t(key, variables), deps.rates.fiatValue(total, deps.asset, user.fiatCurrency)));
    }
    const intentId = deps.buttons.newIntentId();
    const keyboard = new InlineKeyboard().text(ctx.t('history-title', { page: 1 }), deps.buttons.sign(ctx, { action: 'hist.page', intentId, payload: '1' })).row();
    if (deps.rates) {
      for (const fiat of FIAT_CURRENCIES) {
        keyboard.text(fiat === user.fiatCurrency ? `• ${fiat}` : fiat, deps.buttons.sign(ctx, { action: 'fiat.set', intentId, payload: fiat }));
      }
      keyboard.row();
    }
    keyboard.text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId }));
    await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
  }

  async function showHistory(ctx: BotContext, page: number): Promise<void> {
    const user = await requireUser(ctx);
    if (!user) return;
    const cursors = page === 1 ? [] : (ctx.session.historyCursors ?? []);
    // Page n needs the cursor page n-1 returned; a page the session has no cursor for starts over.
    const cursor = page === 1 ? undefined : cursors[page - 2];
    const shownPage = page === 1 || cursor !== undefined ? page : 1;
    const result = await callService('ledger', () =>
      deps.ledger.call(listHistoryV1, { userId: user.id, asset: deps.asset.code, limit: HISTORY_PAGE_SIZE, ...(cursor ? { cursor } : {}) }),
    );
    const known = shownPage === 1 ? [] : cursors.slice(0, shownPage - 1);
    if (result.nextCursor !== null && shownPage < HISTORY_PAGES_MAX) known[shownPage - 1] = result.nextCursor;
    ctx.session.historyCursors = known;

    const language = localeOf(ctx);
    const lines = [ctx.t('history-title', { page: shownPage })];
    if (result.items.length === 0) lines.push(ctx.t('history-empty'));
    for (const item of result.items) {
      if (item.state === 'voided') continue;
      lines.push(
        ctx.t('history-line', {
          date: dateText(item.createdAt, language),
          kind: ctx.t(`history-kind-${item.code}`),
          sign: item.direction === 'in' ? '+' : '−',
          amount: amountText(item.amount, deps.asset),
          asset: deps.asset.code,
        }),
      );
    }
    const intentId = deps.buttons.newIntentId();
    const keyboard = new InlineKeyboard();
    if (shownPage > 1) keyboard.text(ctx.t('history-previous'), deps.buttons.sign(ctx, { action: 'hist.page', intentId, payload: String(shownPage - 1) }));
    if (result.nextCursor !== null && shownPage < HISTORY_PAGES_MAX) {
      keyboard.text(ctx.t('history-next'), deps.buttons.sign(ctx, { action: 'hist.page', intentId, payload: String(shownPage + 1) }));
    }
    keyboard.row().text(ctx.t('menu-back'), deps.buttons.sign(ctx, { action: 'menu.show', intentId }));
    await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
  }

  composer.chatType('private').command('balance', showBalance);
  deps.buttons.onButton('menu.balance', { once: false }, showBalance);
  deps.buttons.onButton('fiat.set', { once: false, menuBound: false }, async (ctx, button) => {
    const user = await requireUser(ctx);
    const fiat = FIAT_CURRENCIES.find((candidate) => candidate === button.payload);
    if (!user || !fiat) return;
    await setFiatCurrency(ctx.tx, user.id, fiat);
    ctx.user = { ...user, fiatCurrency: fiat };
    await showBalance(ctx);
  });
  deps.buttons.onButton('hist.page', { once: false, menuBound: false }, async (ctx, button) => {
    const page = Number.parseInt(button.payload, 10);
    await showHistory(ctx, Number.isSafeInteger(page) && page >= 1 && page <= HISTORY_PAGES_MAX ? page : 1);
  });
  return composer;
}
