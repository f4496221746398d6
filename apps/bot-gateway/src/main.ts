import { startBotGateway } from '@strongbox/gateway-feature';
import { runService } from '@strongbox/shared-runtime';
import { botGatewayConfigSchema } from './config';

await runService(
  { service: 'bot-gateway', configSchema: botGatewayConfigSchema, secretKeys: ['DATABASE_URL', 'BOT_TOKEN', 'REDIS_URL', 'TELEGRAM_WEBHOOK_SECRET', 'BOT_CALLBACK_SECRET'], start: startBotGateway },
  process.env,
);
