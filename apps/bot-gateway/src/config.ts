import { z } from 'zod';
import { commonEnv, databaseEnv, inboxEnv, natsEnv, redisEnv, secret, strictInteger, telegramEnv, urlWithProtocol } from '@strongbox/shared-config';

/** Everything bot-gateway reads from its environment; see `.env.example`. */
export const botGatewayConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...inboxEnv.shape,
  ...natsEnv.shape,
  ...redisEnv.shape,
  ...telegramEnv.shape,
  TELEGRAM_UPDATE_PARTITIONS: strictInteger({ min: 1, max: 64 })
    .default(16)
    .describe('Partitions of the Telegram ingress stream; updates of one chat always share one, so they stay in order, and partitions are handled in parallel.'),
  TELEGRAM_UPDATE_RETRY_DELAY_MS: strictInteger({ min: 10, max: 60_000 })
    .default(500)
    .describe('First redelivery delay of an update whose handling failed; later ones are 4, 10 and 30 times it, then the update is dead-lettered and the user gets an apology.'),
  TELEGRAM_UPDATE_ACK_WAIT_MS: strictInteger({ min: 1_000, max: 300_000 })
    .default(10_000)
    .describe('How long JetStream waits for a worker that took an update before giving it to another (a crashed worker holds its chat partition this long); handlers running longer are kept alive by heartbeats.'),
  TELEGRAM_INGRESS: z
    .enum(['webhook', 'polling'])
    .default('polling')
    .describe('How updates arrive: webhook (production: Telegram POSTs them) or polling (development: getUpdates).'),
  TELEGRAM_WEBHOOK_URL: urlWithProtocol(['https', 'http'])
    .optional()
    .describe('Public URL Telegram POSTs updates to (https in production); required when TELEGRAM_INGRESS=webhook.'),
  TELEGRAM_WEBHOOK_SECRET: secret(z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1-256 characters of A-Z a-z 0-9 _ -'))
    .optional()
    .describe('Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token; requests without it get 401. Required when TELEGRAM_INGRESS=webhook; secret, may come from TELEGRAM_WEBHOOK_SECRET_FILE.'),
  TELEGRAM_WEBHOOK_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be a host name or an IP address')
    .default('0.0.0.0')
    .describe('Address the webhook server listens on.'),
  TELEGRAM_WEBHOOK_PORT: strictInteger({ min: 1, max: 65_535 }).default(8443).describe('Port the webhook server listens on.'),
  TELEGRAM_WEBHOOK_PATH: z
    .string()
    .regex(/^\/[A-Za-z0-9/_.-]{0,200}$/, 'must be a path starting with / (letters, digits, / _ . -)')
    .default('/telegram/webhook')
    .describe('Path of the webhook route on the webhook server.'),
  TELEGRAM_WEBHOOK_STORE_TIMEOUT_MS: strictInteger({ min: 100, max: 30_000 })
    .default(2_000)
    .describe('Longest wait for JetStream to store an update; past it the webhook answers 503 and Telegram re-sends.'),
  TELEGRAM_WEBHOOK_MAX_CONNECTIONS: strictInteger({ min: 1, max: 100 })
    .default(40)
    .describe('Connections Telegram may open to the webhook at once (setWebhook max_connections).'),
  BOT_CALLBACK_SECRET: secret(z.string().min(32, 'must be at least 32 characters'))
    .optional()
    .describe('Key that signs inline-button callback data (HMAC-SHA256); at least 32 characters. Unset derives one from BOT_TOKEN, so buttons change when the token does. Secret, may come from BOT_CALLBACK_SECRET_FILE.'),
  BOT_BUTTON_MAX_AGE_S: strictInteger({ min: 60, max: 30 * 24 * 60 * 60 })
    .default(7 * 24 * 60 * 60)
    .describe('Age in seconds from which an inline button is refused as expired (answered, the current menu shown, nothing done); the intents of pressed buttons are purged a day after this age, so raise it by at most a day at a time (ADR 17).'),
  BOT_FLOOD_UPDATES_MAX: strictInteger({ min: 1, max: 1_000 })
    .default(20)
    .describe('Updates (messages, button presses) one user may send per BOT_FLOOD_WINDOW_S before the bot answers "slow down" once and ignores the rest.'),
  BOT_FLOOD_WINDOW_S: strictInteger({ min: 1, max: 3_600 }).default(10).describe('Window of the per-user flood limit, in seconds.'),
  BOT_FLOOD_SILENCE_S: strictInteger({ min: 1, max: 3_600 })
    .default(30)
    .describe('After the "slow down" answer, how long updates over the flood limit are ignored without a further answer, in seconds.'),
  SESSION_REDIS_TTL_MS: strictInteger({ min: 60_000, max: 90 * 24 * 60 * 60_000 })
    .default(7 * 24 * 60 * 60_000)
    .describe('How long Redis keeps an untouched dialog state; PostgreSQL keeps it until a day after this and then deletes it (the dialog starts afresh). Change it by at most a day at a time (ADR 17).'),
  SESSION_SYNC_INTERVAL_MS: strictInteger({ min: 50, max: 60_000 })
    .default(1_000)
    .describe('Pause between passes that copy dialog states written during a Redis outage back into Redis.'),
  RATES_API_URL: urlWithProtocol(['https', 'http'])
    .optional()
    .describe('Exchange-rate API (GET answers {"asOf": ISO time, "rates": {"USDT": {"USD": "1.0002"}}}); unset shows balances without fiat values.'),
  RATES_SYNC_INTERVAL_MS: strictInteger({ min: 1_000, max: 3_600_000 }).default(60_000).describe('Pause between exchange-rate syncs.'),
  RATES_STALE_AFTER_MS: strictInteger({ min: 1_000, max: 86_400_000 })
    .default(180_000)
    .describe('Age from which an exchange rate is shown with its age (it could not be refreshed).'),
  WALLET_ASSET: z
    .string()
    .regex(/^[A-Z][A-Z0-9]{1,11}$/, 'must be an asset code such as USDT')
    .default('USDT')
    .describe('The asset the wallet holds, as the ledger names it.'),
  WALLET_ASSET_DECIMALS: strictInteger({ min: 0, max: 36 }).default(6).describe('Decimals of WALLET_ASSET: amounts users type may have at most this many.'),
  SERVICE_CALL_TIMEOUT_MS: strictInteger({ min: 100, max: 60_000 })
    .default(5_000)
    .describe('How long the bot waits for the ledger or the chain-watcher to answer; past it the user is told the request is kept and it is retried.'),
}).superRefine((config, ctx) => {
  // Webhook mode cannot start without where Telegram should POST and the secret it must send.
  if (config.TELEGRAM_INGRESS !== 'webhook') return;
  for (const key of ['TELEGRAM_WEBHOOK_URL', 'TELEGRAM_WEBHOOK_SECRET'] as const) {
    if (config[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when TELEGRAM_INGRESS=webhook' });
  }
});
