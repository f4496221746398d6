export { ConfigError, ConfigErrorCodes, type ConfigErrorCode } from './errors';
export { loadConfig, describeConfig, FILE_SUFFIX, type ConfigVariable, type LoadConfigOptions } from './config.loader';
export { strictInteger, minorUnits, secret, isSecretField, urlWithProtocol, urlList, splitList, LIST_ITEMS_MAX } from './env.fields';
export { commonEnv, databaseEnv, natsEnv, redisEnv, telegramEnv, LOG_LEVELS, TELEGRAM_BOT_TOKEN_PATTERN, type LogLevel } from './env.fragments';
