import { z } from 'zod';
import { commonEnv, databaseEnv, natsEnv, redisEnv, strictInteger, telegramEnv } from '@strongbox/shared-config';

/** Everything bot-gateway reads from its environment; see `.env.example`. */
export const botGatewayConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...natsEnv.shape,
  ...redisEnv.shape,
  ...telegramEnv.shape,
  TELEGRAM_UPDATE_PARTITIONS: strictInteger({ min: 1, max: 64 })
    .default(4)
    .describe('Partitions of the Telegram ingress stream; updates of one chat always share one, so they stay in order.'),
});
