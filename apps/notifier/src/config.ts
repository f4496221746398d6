import { z } from 'zod';
import { commonEnv, databaseEnv, inboxEnv, natsEnv, redisEnv, telegramEnv } from '@strongbox/shared-config';
import { deliveryEnv, notifierContentEnv } from '@strongbox/notify-feature';

/** Everything the notifier reads from its environment; see `.env.example`. */
export const notifierConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...inboxEnv.shape,
  ...natsEnv.shape,
  ...telegramEnv.shape,
  ...redisEnv.shape,
  ...notifierContentEnv.shape,
  ...deliveryEnv.shape,
});
