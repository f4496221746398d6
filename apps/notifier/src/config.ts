import { z } from 'zod';
import { commonEnv, databaseEnv, natsEnv, telegramEnv } from '@strongbox/shared-config';
import { notifierContentEnv } from '@strongbox/notify-feature';

/** Everything the notifier reads from its environment; see `.env.example`. */
export const notifierConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...natsEnv.shape,
  ...telegramEnv.shape,
  ...notifierContentEnv.shape,
});
