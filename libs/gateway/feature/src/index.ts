export { startBotGateway, type BotGatewayConfig } from './bot-gateway.service';
export { createStartComposer, languageFromTelegram, referralCodeFromPayload } from './start.composer';
export { createTelegramIngress, chatIdOfUpdate, partitionOfUpdate, updateMessageId, type TelegramIngress } from './telegram-ingress';
export * from './sessions/index';
