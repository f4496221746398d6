import { z } from 'zod';
import { commonEnv, databaseEnv, inboxEnv, natsEnv } from '@strongbox/shared-config';

/** Everything admin-audit reads from its environment; see `.env.example`. */
export const adminAuditConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...inboxEnv.shape,
  ...natsEnv.shape,
});
