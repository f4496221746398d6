import { Composer, session, type Bot } from 'grammy';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database } from '@strongbox/shared-db';
import type { gatewaySchema } from '@strongbox/gateway-data-access';
import { createI18n } from '@strongbox/shared-i18n';
import { createCallbackDataCodec, createSignedButtons } from './buttons';
import type { VersionedSessionStorage } from './sessions';
import { blacklistGate, localeOf, userMiddleware } from './flows/user.middleware';
import type { BotContext, BotSession, FlowDeps } from './flows/flow.context';
import { showMainMenu } from './flows/menu';
import { createStartComposer } from './flows/start.composer';
import { createBalanceComposer } from './flows/balance.composer';
import { createDepositComposer } from './flows/deposit.composer';
import { createWithdrawComposer } from './flows/withdraw.composer';
import { createTransferComposer } from './flows/transfer.composer';
import { createPlansComposer } from './flows/plans.composer';
import { createReferralComposer } from './flows/referral.composer';
import { createSupportComposer } from './flows/support.composer';
import { createRecoverComposer } from './flows/recover.composer';

export interface GatewayBotOptions {
  readonly bot: Bot<BotContext>;
  readonly database: Database<typeof gatewaySchema>;
  readonly sessions: VersionedSessionStorage<BotSession>;
  readonly callbackSecret: string;
  /** Age from which a button is refused as expired; the codec's default (7 days) when not given. */
  readonly buttonMaxAgeMs?: number;
  /** Clock of the buttons (their issue time and age), for tests. */
  readonly now?: () => number;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly deps: Omit<FlowDeps, 'buttons'>;
}

/**
 * Installs, in order, everything a user's update goes through after the worker's transaction
 * middleware: who the user is, their session (dialog state), their language, the blacklist gate,
 * signed buttons, then the flows. Text that no dialog and no command takes gets the menu.
 */
export function installGatewayBot(options: GatewayBotOptions): FlowDeps {
  const { bot, logger } = options;
  const i18n = createI18n<BotContext>({ localeNegotiator: localeOf });
  const deps: FlowDeps = {
    ...options.deps,
    buttons: createSignedButtons<BotContext>({
      codec: createCallbackDataCodec(options.callbackSecret, {
        ...(options.buttonMaxAgeMs === undefined ? {} : { maxAgeMs: options.buttonMaxAgeMs }),
        ...(options.now === undefined ? {} : { now: options.now }),
      }),
      // The update's transaction: the claim commits with the handler's effects (signed-buttons.ts).
      db: (ctx) => ctx.tx,
      logger: logger.child({ component: 'buttons' }),
      currentMenuIntent: (ctx) => ctx.session.menuIntent,
      renderCurrentMenu: (ctx) => showMainMenu(ctx, deps),
    }),
  };

  bot.use(userMiddleware());
  bot.use(
    session<BotSession, BotContext>({
      initial: () => ({}),
      storage: options.sessions,
      // One session per Telegram user: the bot talks to people in private chats only.
      getSessionKey: (ctx) => (ctx.from ? `user:${ctx.from.id}` : undefined),
    }),
  );
  bot.use(i18n);
  bot.use(blacklistGate());
  bot.use(deps.buttons.middleware());
  bot.use(createStartComposer(deps));
  bot.use(createBalanceComposer(deps));
  bot.use(createDepositComposer(deps));
  bot.use(createWithdrawComposer(deps));
  bot.use(createTransferComposer(deps));
  bot.use(createPlansComposer(deps));
  bot.use(createReferralComposer(deps));
  bot.use(createSupportComposer(deps));
  bot.use(createRecoverComposer(deps));

  const fallback = new Composer<BotContext>();
  fallback.chatType('private').on('message', async (ctx) => {
    if (!ctx.user) {
      await ctx.reply(ctx.t('not-registered'));
      return;
    }
    await showMainMenu(ctx, deps);
  });
  bot.use(fallback);
  return deps;
}
