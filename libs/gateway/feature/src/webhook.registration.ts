import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from 'grammy';
import type { Logger } from 'pino';

const RETRY_DELAY_MS_INITIAL = 500;
const RETRY_DELAY_MS_MAX = 30_000;

export interface WebhookRegistration {
  /** Resolves once stopped; a registration in flight is abandoned. */
  stop(): Promise<void>;
  status(): { registered: boolean; consecutiveErrors: number };
}

/**
 * Tells Telegram where to POST updates (`setWebhook` with the secret), retrying with back-off until
 * it succeeds: Telegram may be unreachable at start, and the webhook server must not wait for it.
 * Setting the same webhook again is harmless, so every start does it.
 */
export function registerWebhook(options: {
  api: Pick<Api, 'setWebhook'>;
  url: string;
  secret: string;
  maxConnections: number;
  logger: Logger;
}): WebhookRegistration {
  const abort = new AbortController();
  let registered = false;
  let consecutiveErrors = 0;
  const loop = (async () => {
    while (!abort.signal.aborted && !registered) {
      try {
        await options.api.setWebhook(options.url, {
          secret_token: options.secret,
          max_connections: options.maxConnections,
          drop_pending_updates: false,
        });
        registered = true;
        consecutiveErrors = 0;
        options.logger.info({ url: options.url, maxConnections: options.maxConnections }, 'telegram webhook set');
      } catch (error) {
        consecutiveErrors += 1;
        const delayMs = Math.min(RETRY_DELAY_MS_MAX, RETRY_DELAY_MS_INITIAL * 2 ** Math.min(consecutiveErrors - 1, 10));
        options.logger.warn({ err: error, consecutiveErrors, delayMs }, 'setWebhook failed; retrying');
        await sleep(delayMs, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  })();
  return {
    async stop() {
      abort.abort();
      await loop;
    },
    status: () => ({ registered, consecutiveErrors }),
  };
}
