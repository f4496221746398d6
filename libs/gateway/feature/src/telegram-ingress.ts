import { setTimeout as sleep } from 'node:timers/promises';
import type { Api } from 'grammy';
import type { Logger } from 'pino';
import type { UpdateStore } from './update.store';

// ---------------------------------------------------------------------------------------------
// Long-polling ingress (development): Telegram → JetStream, before Telegram is told the update
// was received.
//
// grammY's own poller confirms an update (by asking for the next offset) whether or not handling
// it succeeded; here an update is confirmed only after JetStream has stored it, so a crash or an
// outage of a worker never loses one. A re-fetched update is re-published with the same msgID and
// de-duplicated by the stream.
// ---------------------------------------------------------------------------------------------

/** Telegram's own limits for getUpdates. */
const UPDATES_PER_POLL_MAX = 100;
const POLL_TIMEOUT_S = 25;
const ERROR_DELAY_MS_MAX = 10_000;

export interface TelegramIngressOptions {
  readonly api: Api;
  readonly updates: UpdateStore;
  readonly logger: Logger;
}

export interface TelegramIngress {
  start(): void;
  /** Stops polling; an update already fetched is published before this resolves. */
  stop(): Promise<void>;
  /** Health of the poll loop, for /readyz: failures in a row and when a poll last succeeded. */
  status(): TelegramIngressStatus;
}

export interface TelegramIngressStatus {
  readonly consecutiveErrors: number;
  readonly lastPollOkAtMs: number | undefined;
  readonly offset: number;
}

/** Starts the long-polling loop that stores each update in the ingress stream. */
export function createTelegramIngress(options: TelegramIngressOptions): TelegramIngress {
  const { api, updates: store, logger } = options;
  const abort = new AbortController();
  let loop: Promise<void> | undefined;
  let offset = 0;
  let consecutiveErrors = 0;
  let lastPollOkAtMs: number | undefined;
  let webhookDeleted = false;

  async function run(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        // A webhook left over from a webhook-mode run makes getUpdates fail with 409; deleting it
        // keeps the updates Telegram holds (no drop_pending_updates).
        if (!webhookDeleted) {
          await api.deleteWebhook({ drop_pending_updates: false });
          webhookDeleted = true;
        }
        // grammY types its signal with the abort-controller shim; the platform AbortSignal is what it uses at run time.
        const signal = abort.signal as Parameters<Api['getUpdates']>[1];
        const updates = await api.getUpdates({ offset, limit: UPDATES_PER_POLL_MAX, timeout: POLL_TIMEOUT_S }, signal);
        // Publish in order; the offset moves only past updates JetStream has acknowledged.
        for (const update of updates) {
          await store.store(update);
          offset = update.update_id + 1;
        }
        consecutiveErrors = 0;
        lastPollOkAtMs = Date.now();
      } catch (error) {
        if (abort.signal.aborted) break;
        consecutiveErrors += 1;
        const delayMs = Math.min(ERROR_DELAY_MS_MAX, 250 * 2 ** Math.min(consecutiveErrors, 6));
        logger.warn({ err: error, consecutiveErrors, delayMs }, 'telegram ingress poll failed');
        await sleep(delayMs, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async stop() {
      abort.abort();
      await loop;
    },
    status() {
      return { consecutiveErrors, lastPollOkAtMs, offset };
    },
  };
}
