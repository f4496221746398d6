import { z } from 'zod';
import { commonEnv, databaseEnv, natsEnv } from '@strongbox/shared-config';

/** Everything the ledger reads from its environment; see `.env.example`. */
export const ledgerConfigSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...natsEnv.shape,
  LEDGER_ASSETS: z
    .string()
    .default('USDT')
    .describe('Comma-separated asset codes every user gets an account in, e.g. `USDT`.')
    .transform((value) => value.split(',').map((asset) => asset.trim()))
    .pipe(z.array(z.string().regex(/^[A-Z][A-Z0-9]{1,11}$/, 'an asset code such as USDT')).min(1).max(32)),
});
