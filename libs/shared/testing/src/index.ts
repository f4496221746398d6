// The public face of @strongbox/shared-testing: isolation on the shared loopback servers, private
// servers and a fault proxy for failure tests, and the Telegram Bot API emulator.

export { TestingError, TestingErrorCodes, type TestingErrorCode } from './errors';

export {
  NAMESPACE_PREFIX_LENGTH_MAX,
  TEST_DATABASE_URL,
  TEST_NATS_URL,
  TEST_REDIS_URL,
  freePort,
  uniqueNamespace,
  waitFor,
  type WaitForOptions,
} from './isolation';

export { SERVER_READY_TIMEOUT_MS, SERVER_STOP_TIMEOUT_MS, type PrivateServer } from './private-server.process';
export { startPrivateNats, type PrivateNatsOptions } from './private-nats.server';
export { startPrivateRedis } from './private-redis.server';
export { startPrivatePostgres } from './private-postgres.server';

export { PROXY_CONNECTIONS_MAX, TcpFaultModes, startTcpFaultProxy, type TcpFaultMode, type TcpFaultProxy } from './tcp-fault.proxy';

export {
  BODY_BYTES_MAX,
  BOT_TOKEN_PATTERN,
  CALLS_MAX,
  FLOOD_WAIT_RULES_MAX,
  GET_UPDATES_LIMIT_MAX,
  LONG_POLL_TIMEOUT_S_MAX,
  MESSAGE_WAITERS_MAX,
  WEBHOOK_ATTEMPTS_MAX,
  WEBHOOK_REQUEST_TIMEOUT_MS,
  startBotApiEmulator,
} from './bot-api/bot-api.emulator';
export { FLOOD_CHATS_MAX, TELEGRAM_FLOOD_LIMITS, type FloodLimits } from './bot-api/bot-api.flood';
export {
  CALLBACK_ANSWER_TEXT_MAX,
  CAPTION_LENGTH_MAX,
  COMMANDS_MAX,
  PHOTO_BYTES_MAX,
  TEXT_LENGTH_MAX,
  URL_PHOTO_PLACEHOLDER,
} from './bot-api/bot-api.methods';
export {
  CALLBACKS_PENDING_MAX,
  CALLBACK_ANSWERS_MAX,
  CHATS_MAX,
  FILE_BYTES_KEPT_MAX,
  MESSAGES_PER_CHAT_MAX,
  SENT_MESSAGES_MAX,
  UPDATES_PENDING_MAX,
  VERSIONS_PER_MESSAGE_MAX,
} from './bot-api/bot-api.state';
export type {
  BotApiEmulator,
  BotApiEmulatorOptions,
  CallbackAnswer,
  EmulatedUser,
  FloodWaitRule,
  PressButtonOptions,
  RecordedCall,
  ReplyMarkup,
  SentMessage,
  SentMessageVersion,
  SentPhoto,
} from './bot-api/bot-api.types';
export { startWebChat, type WebChat, type WebChatOptions } from './web-chat/web-chat.server';
export { launchHeadlessChromium, CHROMIUM_FLAGS, CHROMIUM_PATH_DEFAULT, type HeadlessChromium } from './web-chat/headless-chromium';
