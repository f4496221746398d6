export { ConfigError, ConfigErrorCodes, type ConfigErrorCode } from './errors';
export { loadConfig, describeConfig, FILE_SUFFIX, type ConfigVariable, type LoadConfigOptions } from './config.loader';
export { strictInteger, minorUnits, secret, isSecretField, urlWithProtocol, urlList, splitList, LIST_ITEMS_MAX } from './env.fields';
export {
  commonEnv,
  databaseEnv,
  inboxEnv,
  natsEnv,
  redisEnv,
  telegramEnv,
  INBOX_PURGE_INTERVAL_MS_DEFAULT,
  INBOX_PURGE_INTERVAL_MS_MAX,
  INBOX_PURGE_INTERVAL_MS_MIN,
  INBOX_RETENTION_MS_DEFAULT,
  INBOX_RETENTION_MS_MAX,
  INBOX_RETENTION_MS_MIN,
  LOG_LEVELS,
  TELEGRAM_BOT_TOKEN_PATTERN,
  type LogLevel,
} from './env.fragments';
