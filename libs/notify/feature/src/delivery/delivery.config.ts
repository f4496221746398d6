import { z } from 'zod';
import { strictInteger } from '@strongbox/shared-config';

/** The delivery worker's environment; spread into the notifier's config schema. See `.env.example`. */
export const deliveryEnv = z.object({
  NOTIFY_GLOBAL_RATE_PER_S: strictInteger({ min: 1, max: 1_000 })
    .default(30)
    .describe("Messages per second the notifier sends in total, across all replicas (Telegram's bot limit is about 30)."),
  NOTIFY_CHAT_RATE_PER_S: strictInteger({ min: 1, max: 10 }).default(1).describe('Messages per second the notifier sends to one chat (Telegram allows about 1).'),
  NOTIFY_REPLICAS: strictInteger({ min: 1, max: 100 })
    .default(1)
    .describe('Notifier replicas running; while Redis is down each one keeps NOTIFY_GLOBAL_RATE_PER_S / NOTIFY_REPLICAS.'),
  NOTIFY_SEND_CONCURRENCY: strictInteger({ min: 1, max: 256 })
    .default(8)
    .describe('Requests to Telegram one replica keeps in flight at most (each to a different chat).'),
  NOTIFY_REQUEST_TIMEOUT_MS: strictInteger({ min: 1_000, max: 120_000 })
    .default(10_000)
    .describe('Time limit of one sendMessage request; no answer by then after the request was written makes the message unconfirmed (never sent again).'),
  NOTIFY_SENDING_STALE_MS: strictInteger({ min: 2_000, max: 3_600_000 })
    .default(30_000)
    .describe(
      'A message left in `sending` this long (its sender died before recording the answer) becomes unconfirmed; must exceed NOTIFY_REQUEST_TIMEOUT_MS.',
    ),
  NOTIFY_RATE_HEADROOM_PERMILLE: strictInteger({ min: 0, max: 500 })
    .default(15)
    .describe(
      'How much wider than NOTIFY_GLOBAL_RATE_PER_S the global send slots are spaced, in thousandths: room for lateness and arrival jitter before Telegram counts a burst (15 = 1.5 %, the rate reaches at most 98.5 % of the limit).',
    ),
  NOTIFY_RETRY_DELAY_MS_MAX: strictInteger({ min: 100, max: 600_000 })
    .default(30_000)
    .describe('Longest back-off between tries while Telegram is unreachable or answers 5xx (tries go on for as long as it takes).'),
});

export type DeliveryEnv = z.output<typeof deliveryEnv>;

/** The worker's options from the notifier's config. */
export function deliveryOptionsFromConfig(config: DeliveryEnv & { readonly BOT_TOKEN: string; readonly TELEGRAM_API_ROOT: string }) {
  return {
    token: config.BOT_TOKEN,
    apiRoot: config.TELEGRAM_API_ROOT,
    globalRatePerSecond: config.NOTIFY_GLOBAL_RATE_PER_S,
    chatRatePerSecond: config.NOTIFY_CHAT_RATE_PER_S,
    replicas: config.NOTIFY_REPLICAS,
    concurrency: config.NOTIFY_SEND_CONCURRENCY,
    requestTimeoutMs: config.NOTIFY_REQUEST_TIMEOUT_MS,
    sendingStaleMs: config.NOTIFY_SENDING_STALE_MS,
    retryDelayMsMax: config.NOTIFY_RETRY_DELAY_MS_MAX,
    rateHeadroom: config.NOTIFY_RATE_HEADROOM_PERMILLE / 1_000,
  };
}
