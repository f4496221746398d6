import type { I18nFlavor } from '@grammyjs/i18n';
import { Composer, type Context, type MiddlewareFn } from 'grammy';
import type { Logger } from 'pino';
import type { DbExecutor } from '@strongbox/shared-db';
import { claimButtonIntent, findButtonIntent, recordButtonOutcome, releaseButtonIntent } from '@strongbox/gateway-data-access';
import { BUTTON_ACTION_PATTERN, type CallbackDataCodec, type SignedButton } from './callback-data.codec';

// ---------------------------------------------------------------------------------------------
// Signed inline buttons for the flow composers: `sign` makes the callback data, `onButton`
// registers what a press does, `middleware` verifies and dispatches every press.
// ---------------------------------------------------------------------------------------------

export type ButtonsContext = Context & I18nFlavor;

/** What a registered button does. */
export interface ButtonOptions<C extends ButtonsContext> {
  /**
   * Runs at most once per intent id: the first press claims the intent in `button_intents`, every
   * later press (a new update) is answered "already done" and shown the stored outcome.
   */
  readonly once: boolean;
  /**
   * Only valid on the menu the session says is current (default true): a press on an older menu is
   * answered "out of date" and the current menu is shown again, without running the handler.
   */
  readonly menuBound?: boolean;
  /** Shows again what the first press answered, after "already done" (once buttons). */
  readonly replay?: (ctx: C, outcome: unknown) => Promise<void>;
}

/** The press handler: its result is the outcome stored for a once button (JSON). */
export type ButtonHandler<C extends ButtonsContext> = (ctx: C, button: SignedButton) => Promise<unknown>;

export interface SignedButtonsOptions<C extends ButtonsContext> {
  readonly codec: CallbackDataCodec;
  /**
   * Where intents are claimed: a fixed executor, or one per update — the update's own transaction
   * (`(ctx) => ctx.tx`), so a claim, the handler's effects and the stored outcome commit together
   * and a crash before the commit leaves no claim behind that would answer "in progress" forever.
   */
  readonly db: DbExecutor | ((ctx: C) => DbExecutor);
  readonly logger: Logger;
  /** The intent id of the menu the session says is current; undefined when none is tracked. */
  readonly currentMenuIntent?: (ctx: C) => string | undefined;
  /** Shows the current menu again, for a press on an out-of-date or expired one. */
  readonly renderCurrentMenu?: (ctx: C) => Promise<void>;
}

export interface SignedButtons<C extends ButtonsContext> {
  /** Callback data for a button shown to the user of `ctx` (or to `telegramUserId`). */
  sign(user: C | number, button: { action: string; intentId: string; payload?: string }): string;
  /** A fresh intent id for a new menu (made now, on the codec's clock); store it in the session as the current menu. */
  newIntentId(): string;
  /** Registers the handler of `action`; each action once. */
  onButton(action: string, options: ButtonOptions<C>, handler: ButtonHandler<C>): void;
  /** Verifies and dispatches callback queries; other updates pass through. Install after session and i18n. */
  middleware(): MiddlewareFn<C>;
}

/** Text keys (gateway-platform.ftl). */
export const ButtonTexts = {
  invalid: 'platform-button-invalid',
  alreadyDone: 'platform-button-already-done',
  inProgress: 'platform-button-in-progress',
  outdated: 'platform-button-outdated',
  expired: 'platform-button-expired',
} as const;

interface Registration<C extends ButtonsContext> {
  readonly options: ButtonOptions<C>;
  readonly handler: ButtonHandler<C>;
}

/**
 * @example
 * const buttons = createSignedButtons({ codec, db: database.db, logger, currentMenuIntent: (ctx) => ctx.session.menuIntent,
 *   renderCurrentMenu: (ctx) => showMenu(ctx) });
 * buttons.onButton('wd.confirm', { once: true, replay: showReceipt }, async (ctx, button) => ({ withdrawalId: await confirm(button) }));
 * bot.use(buttons.middleware());
 * const intentId = buttons.newIntentId();
 * ctx.session.menuIntent = intentId;
 * await ctx.reply(text, { reply_markup: new InlineKeyboard().text(ctx.t('confirm'), buttons.sign(ctx, { action: 'wd.confirm', intentId })) });
 */
export function createSignedButtons<C extends ButtonsContext>(options: SignedButtonsOptions<C>): SignedButtons<C> {
  const registrations = new Map<string, Registration<C>>();
  const logger = options.logger;

  async function answer(ctx: C, text?: string): Promise<void> {
    try {
      await ctx.answerCallbackQuery(text === undefined ? {} : { text, show_alert: true });
    } catch (error) {
      // An answer can come too late (Telegram forgets a query after a while); the press is still handled.
      logger.warn({ err: error }, 'answerCallbackQuery failed');
    }
  }

  async function alreadyPressed(ctx: C, registration: Registration<C>, finished: boolean, outcome: unknown): Promise<void> {
    await ctx.reply(ctx.t(finished ? ButtonTexts.alreadyDone : ButtonTexts.inProgress));
    if (finished && registration.options.replay) await registration.options.replay(ctx, outcome);
  }

  const dbOf = (ctx: C): DbExecutor => (typeof options.db === 'function' ? options.db(ctx) : options.db);

  async function dispatch(ctx: C, data: string): Promise<void> {
    const from = ctx.from;
    const verification = from ? options.codec.verify(from.id, data) : undefined;
    if (from && verification?.status === 'expired' && registrations.has(verification.action)) {
      // Older than the maximum age: refused before any intent is looked at or claimed, since the
      // intents of buttons this old may be purged already (ADR 17). Nothing runs; the menu is shown.
      logger.info({ telegramUserId: from.id, action: verification.action, issuedAtMs: verification.issuedAtMs ?? null }, 'expired button refused');
      await answer(ctx);
      await ctx.reply(ctx.t(ButtonTexts.expired));
      await options.renderCurrentMenu?.(ctx);
      return;
    }
    const button = verification?.status === 'valid' ? verification.button : undefined;
    const registration = button ? registrations.get(button.action) : undefined;
    if (!from || !button || !registration) {
      logger.warn({ telegramUserId: from?.id, dataLength: data.length }, 'callback data refused: not signed for this user or unknown action');
      await answer(ctx, ctx.t(ButtonTexts.invalid));
      return;
    }
    await answer(ctx);
    const telegramUserId = BigInt(from.id);

    if (registration.options.once) {
      const earlier = await findButtonIntent(dbOf(ctx), button.intentId);
      if (earlier) {
        await alreadyPressed(ctx, registration, earlier.finished, earlier.outcome);
        return;
      }
    }
    const current = registration.options.menuBound === false ? undefined : options.currentMenuIntent?.(ctx);
    if (current !== undefined && current !== button.intentId) {
      await ctx.reply(ctx.t(ButtonTexts.outdated));
      await options.renderCurrentMenu?.(ctx);
      return;
    }
    if (!registration.options.once) {
      await registration.handler(ctx, button);
      return;
    }
    const claim = await claimButtonIntent(dbOf(ctx), { intentId: button.intentId, telegramUserId, action: button.action });
    if (!claim.claimed) {
      await alreadyPressed(ctx, registration, claim.finished, claim.outcome);
      return;
    }
    let outcome: unknown;
    try {
      outcome = await registration.handler(ctx, button);
    } catch (error) {
      // The update is redelivered after a failure; without the claim the retry can run again.
      await releaseButtonIntent(dbOf(ctx), button.intentId).catch((releaseError: unknown) =>
        logger.error({ err: releaseError, intentId: button.intentId }, 'button claim not released after a failed handler'),
      );
      throw error;
    }
    await recordButtonOutcome(dbOf(ctx), button.intentId, outcome);
  }

  return {
    sign(user, button) {
      const telegramUserId = typeof user === 'number' ? user : user.from?.id;
      if (telegramUserId === undefined) throw new RangeError('sign: the update has no user to sign the button for');
      return options.codec.sign(telegramUserId, { action: button.action, intentId: button.intentId, payload: button.payload ?? '' });
    },
    newIntentId: () => options.codec.newIntentId(),
    onButton(action, buttonOptions, handler) {
      if (!BUTTON_ACTION_PATTERN.test(action)) throw new RangeError(`onButton: action must match ${BUTTON_ACTION_PATTERN.source}`);
      if (registrations.has(action)) throw new RangeError(`onButton: ${action} is registered already`);
      registrations.set(action, { options: buttonOptions, handler });
    },
    middleware() {
      const composer = new Composer<C>();
      composer.on('callback_query:data', (ctx) => dispatch(ctx, ctx.callbackQuery.data));
      return composer.middleware();
    },
  };
}
