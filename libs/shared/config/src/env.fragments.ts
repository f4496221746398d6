import { z } from 'zod';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN } from '@strongbox/shared-contracts';
import { secret, strictInteger, urlList, urlWithProtocol } from './env.fields';

// ---------------------------------------------------------------------------------------------
// Schema fragments the services compose: `z.object({ ...commonEnv.shape, ...databaseEnv.shape })`.
// Every field carries a description, so `describeConfig` can keep `.env.example` honest.
// ---------------------------------------------------------------------------------------------

/** Log levels pino knows, most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Host names and IPv4/IPv6 literals; enough to refuse a URL or a typo with spaces. */
const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9a-fA-F:.]+)$/;

/** Telegram bot tokens: `<bot id>:<secret>`, the secret being URL-safe base64. */
export const TELEGRAM_BOT_TOKEN_PATTERN = /^[0-9]{3,20}:[A-Za-z0-9_-]{30,64}$/;

/** What every service reads: namespace, logging, the ops server, tracing and shutdown. */
export const commonEnv = z.object({
  STRONGBOX_NAMESPACE: z
    .string()
    .regex(NAMESPACE_PATTERN, `must match ${NAMESPACE_PATTERN.source} (lower-case letter first, then letters, digits or _; at most 24)`)
    .default(DEFAULT_NAMESPACE)
    .describe('Prefix of every PostgreSQL schema, NATS stream, subject and KV bucket, and Redis key; lets several stacks share servers.'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe(`Lowest level written to the JSON log: ${LOG_LEVELS.join(', ')}.`),
  OPS_HOST: z
    .string()
    .regex(HOST_PATTERN, 'must be a host name or an IP address')
    .default('0.0.0.0')
    .describe('Address the ops server (/healthz, /readyz, /metrics) listens on.'),
  OPS_PORT: strictInteger({ min: 1, max: 65_535 }).default(9100).describe('Port of the ops server (/healthz, /readyz, /metrics).'),
  OTEL_EXPORTER_OTLP_ENDPOINT: urlWithProtocol(['http', 'https'])
    .optional()
    .describe('Base URL of an OTLP/HTTP collector (traces go to <url>/v1/traces); unset means spans are created but not exported.'),
  SHUTDOWN_TIMEOUT_MS: strictInteger({ min: 1_000, max: 120_000 })
    .default(10_000)
    .describe('How long a graceful shutdown may take before the process exits 1.'),
  NODE_ENV: z
    .enum(['production', 'development', 'test'])
    .default('production')
    .describe('Runtime mode; only development tooling changes with it, never security checks.'),
});

/** A service that owns a PostgreSQL schema. */
export const databaseEnv = z.object({
  DATABASE_URL: secret(urlWithProtocol(['postgres', 'postgresql'])).describe(
    'PostgreSQL connection URL (postgres://user:password@host:5432/db); secret, may come from DATABASE_URL_FILE.',
  ),
  DATABASE_POOL_SIZE_MAX: strictInteger({ min: 1, max: 100 }).default(10).describe('Most connections the service holds open to PostgreSQL.'),
});

const DAY_MS = 24 * 60 * 60 * 1_000;
/**
 * How long a service keeps its inbox rows: the default is also the floor, the least that outlives
 * every way a handled message can come back (the reasoning, with the numbers, is at
 * `startInboxHousekeeping` in @strongbox/shared-runtime). The ceiling keeps a typo from turning the
 * purge off.
 */
export const INBOX_RETENTION_MS_MIN = 2 * DAY_MS;
export const INBOX_RETENTION_MS_DEFAULT = INBOX_RETENTION_MS_MIN;
export const INBOX_RETENTION_MS_MAX = 90 * DAY_MS;
/** Pause between inbox purges; the first comes one pause after start. */
export const INBOX_PURGE_INTERVAL_MS_MIN = 1_000;
export const INBOX_PURGE_INTERVAL_MS_DEFAULT = 60_000;
export const INBOX_PURGE_INTERVAL_MS_MAX = 60 * 60 * 1_000;

/** A service that handles events once through its inbox table (all five do). */
export const inboxEnv = z.object({
  INBOX_RETENTION_MS: strictInteger({ min: INBOX_RETENTION_MS_MIN, max: INBOX_RETENTION_MS_MAX })
    .default(INBOX_RETENTION_MS_DEFAULT)
    .describe(
      'How long the inbox remembers a handled event id before housekeeping deletes the row; a copy of the event arriving later would be handled again. At least 2 days (172800000), the longest way a handled message can come back (Telegram re-sending an update for 24 h, plus 24 h in the update stream).',
    ),
  INBOX_PURGE_INTERVAL_MS: strictInteger({ min: INBOX_PURGE_INTERVAL_MS_MIN, max: INBOX_PURGE_INTERVAL_MS_MAX })
    .default(INBOX_PURGE_INTERVAL_MS_DEFAULT)
    .describe('Pause between passes of the inbox housekeeping (the first runs one pause after start).'),
});

/** Every service talks to NATS JetStream. */
export const natsEnv = z.object({
  NATS_URL: urlList(['nats', 'tls', 'ws', 'wss'])
    .default('nats://127.0.0.1:4222')
    .describe('NATS server URL, or several separated by commas (nats://a:4222,nats://b:4222).'),
});

/** Redis is optional: without it the service runs degraded (PostgreSQL and in-memory fallbacks). */
export const redisEnv = z.object({
  REDIS_URL: secret(urlWithProtocol(['redis', 'rediss']))
    .optional()
    .describe('Redis URL (redis://:password@host:6379/0); unset means the service runs without Redis in its degraded mode.'),
});

/** A service that calls the Telegram Bot API. */
export const telegramEnv = z.object({
  BOT_TOKEN: secret(z.string().regex(TELEGRAM_BOT_TOKEN_PATTERN, 'must be a Telegram bot token (<bot id>:<secret>)')).describe(
    'Telegram bot token from @BotFather; secret, may come from BOT_TOKEN_FILE.',
  ),
  TELEGRAM_API_ROOT: urlWithProtocol(['http', 'https'])
    .default('https://api.telegram.org')
    .describe('Root of the Telegram Bot API; point it at a local Bot API server or emulator in tests.'),
});
