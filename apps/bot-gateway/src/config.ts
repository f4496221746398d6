import { z } from 'zod';
import { commonEnv, databaseEnv, natsEnv, redisEnv, secret, strictInteger, telegramEnv, urlWithProtocol } from '@strongbox/shared-config';

/** Everything bot-gateway reads from its environment; see `.env.example`. */
export const botGatewayConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
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
});
