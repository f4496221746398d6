import { Composer, type Context } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { languageFromTelegram } from './flows/user.middleware';

/**
 * `/ping`: answers at once, in the user's Telegram language, touching nothing but the update's
 * inbox transaction. It tells a person (or an operator) that the whole path — webhook, stream,
 * worker, reply — works, and it is what the ingress benchmark measures.
 */
export function createPingComposer(deps: { i18n: I18n }): Composer<Context> {
  const composer = new Composer<Context>();
  composer.command('ping', async (ctx) => {
    // As a reply to the user's message, so each pong says which message it answers.
    await ctx.reply(deps.i18n.t(languageFromTelegram(ctx.from?.language_code), 'gateway-system-pong'), {
      reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
    });
  });
  return composer;
}
