import type { I18n } from '@grammyjs/i18n';
import { BotError, GrammyError, type Api } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import { classifyDbError, DbFailureKinds } from '@strongbox/shared-db';
import { errorCodeOf, errorMessageOf, type HandleResult } from '@strongbox/shared-messaging';
import { DependencyUnavailableError } from './flows/dependency.errors';
import { languageFromTelegram } from './flows/user.middleware';
import { chatIdOfUpdate, updateMessageId } from './update.store';

// ---------------------------------------------------------------------------------------------
// What becomes of an update whose handling failed. An outage (the gateway's PostgreSQL, or the
// ledger or chain-watcher not answering) is not the update's fault: the user is told once that
// their request is kept, and the update waits, in its chat's order, for as long as the outage
// lasts — it must not use up the deliveries that decide when an update is poison. A real failure
// of the handler is counted here, and the update is dead-lettered (and apologised for) after
// `failuresMax` of them. Telegram's flood control (429) is neither: the update waits the
// `retry_after` Telegram asked for, uncounted and without a notice (Telegram would refuse that
// too). Short waits rarely get here: the bot's API first waits them out itself and repeats only
// the refused call (telegram.flood-control.ts, ADR 15).
// ---------------------------------------------------------------------------------------------

/** Translation key of the "technical works, your request is kept" message. */
export const DEGRADED_TEXT_KEY = 'service-degraded';

export interface UpdateOutcomesOptions {
  readonly api: Api;
  readonly i18n: I18n;
  readonly botId: number;
  readonly logger: Logger;
  /** Handler failures (not outages) after which an update is dead-lettered. */
  readonly failuresMax: number;
  /** First wait after an outage; it doubles up to `outageRetryMaxMs`. */
  readonly outageRetryMs: number;
  readonly outageRetryMaxMs: number;
  /** A chat hears "your request is kept" at most once in this window. */
  readonly degradedNoticeWindowMs: number;
  readonly now?: () => number;
}

export interface UpdateOutcomes {
  /** Runs `handle` and turns its failure into a deferral, a retry or a dead letter. */
  run(update: Update, deliveryCount: number, handle: () => Promise<unknown>): Promise<HandleResult>;
}

/** Bounds of the in-memory bookkeeping; beyond them the oldest entries are forgotten. */
const TRACKED_MAX = 10_000;

/** True when the failure is an outage of something the update needs, not a defect of the update. */
export function isOutage(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; depth += 1) {
    if (current instanceof DependencyUnavailableError) return true;
    current = current instanceof BotError ? current.error : current.cause;
  }
  return classifyDbError(error instanceof BotError ? error.error : error) === DbFailureKinds.transient;
}

/** Telegram's 429 in the failure's chain (grammY's error for "Too Many Requests: retry after N"), if any. */
export function floodWaitOf(error: unknown): GrammyError | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; depth += 1) {
    if (current instanceof GrammyError && current.error_code === 429) return current;
    current = current instanceof BotError ? current.error : current.cause;
  }
  return undefined;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > TRACKED_MAX) map.delete(map.keys().next().value as K);
}

export function createUpdateOutcomes(options: UpdateOutcomesOptions): UpdateOutcomes {
  const now = options.now ?? (() => Date.now());
  const failures = new Map<string, number>();
  const outages = new Map<string, number>();
  const noticed = new Map<number, number>();

  async function tellKept(update: Update): Promise<void> {
    const chatId = chatIdOfUpdate(update);
    if (chatId === undefined) return;
    const last = noticed.get(chatId);
    if (last !== undefined && now() - last < options.degradedNoticeWindowMs) return;
    remember(noticed, chatId, now());
    // Without the database the user's stored language is unknown: Telegram's is the best guess.
    const from = update.message?.from ?? update.callback_query?.from;
    const text = options.i18n.t(languageFromTelegram(from?.language_code), DEGRADED_TEXT_KEY);
    try {
      if (update.callback_query) await options.api.answerCallbackQuery(update.callback_query.id).catch(() => undefined);
      await options.api.sendMessage(chatId, text);
    } catch (error) {
      // The notice is a courtesy; the update itself is kept either way.
      options.logger.warn({ err: error, chatId }, 'could not tell the user their request is kept');
    }
  }

  return {
    async run(update, deliveryCount, handle) {
      const key = updateMessageId(options.botId, update);
      try {
        await handle();
        failures.delete(key);
        outages.delete(key);
        return undefined;
      } catch (error) {
        const floodWait = floodWaitOf(error);
        if (floodWait !== undefined) {
          const retryAfterS = floodWait.parameters.retry_after;
          const retryAfterMs = retryAfterS === undefined ? options.outageRetryMs : retryAfterS * 1_000;
          options.logger.warn({ updateId: update.update_id, deliveryCount, retryAfterMs, method: floodWait.method }, "update waits for Telegram's flood control");
          return { retryAfterMs };
        }
        if (isOutage(error)) {
          const attempt = (outages.get(key) ?? 0) + 1;
          remember(outages, key, attempt);
          await tellKept(update);
          const retryAfterMs = Math.min(options.outageRetryMaxMs, options.outageRetryMs * 2 ** Math.min(attempt - 1, 16));
          options.logger.warn({ err: error, updateId: update.update_id, deliveryCount, retryAfterMs }, 'update waits for an outage to end');
          return { retryAfterMs };
        }
        const failed = (failures.get(key) ?? 0) + 1;
        remember(failures, key, failed);
        if (failed >= options.failuresMax) {
          failures.delete(key);
          return { deadLetter: { errorCode: errorCodeOf(error instanceof BotError ? error.error : error), errorMessage: errorMessageOf(error) } };
        }
        throw error;
      }
    },
  };
}
