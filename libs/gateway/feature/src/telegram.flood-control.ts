import { autoRetry } from '@grammyjs/auto-retry';

// ---------------------------------------------------------------------------------------------
// Telegram's flood control (429 "Too Many Requests: retry after N") inside an update's handler.
// A 429 means Telegram did NOT perform the call, so repeating that one call after `retry_after` is
// safe and is the only thing that keeps the handler's earlier messages from going out twice: a
// failed handler re-runs the whole update (ADR 11), replies and all. grammY's auto-retry plugin
// waits and repeats the call within the bounds below; a longer wait fails the call, and
// update.outcomes.ts defers the update for `retry_after` without counting it as a failure
// (ADR 15).
// ---------------------------------------------------------------------------------------------

/**
 * Longest `retry_after` honoured inside a handler. The handler holds its partition (1/16 of the
 * chats) and its inbox transaction while it waits, so a longer wait is left to the stream instead.
 */
export const TELEGRAM_RETRY_AFTER_MAX_S = 30;
/** Repeats of one call after 429s; then the 429 fails the call (and defers the update). */
export const TELEGRAM_RETRY_ATTEMPTS_MAX = 3;

/**
 * The API transformer for the gateway's bot: `bot.api.config.use(telegramFloodControl())` before
 * the bot handles updates (every context's `ctx.api` inherits the bot's transformers).
 *
 * Only 429s are repeated. Network errors (grammY's HttpError: refused, reset, timed out) and
 * Telegram's 5xx are rethrown on purpose: their outcome is unknown — the request may well have
 * reached Telegram and the message been delivered — so repeating a sendMessage blindly could send
 * it twice. They fail the handler as before and the update is retried (at-least-once, ADR 11).
 * Rethrowing network errors also keeps a handler from waiting out a Telegram outage: the plugin
 * would repeat those without any bound on attempts.
 */
export function telegramFloodControl(): ReturnType<typeof autoRetry> {
  return autoRetry({
    maxDelaySeconds: TELEGRAM_RETRY_AFTER_MAX_S,
    maxRetryAttempts: TELEGRAM_RETRY_ATTEMPTS_MAX,
    rethrowInternalServerErrors: true,
    rethrowHttpErrors: true,
  });
}
