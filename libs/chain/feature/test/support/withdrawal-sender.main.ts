// The withdrawal side of chain-watcher as its own process, for the crash tests: the same runtime
// (runService: config, ops server, NATS, migrations, outbox relay, consumers, shutdown) and the same
// config fragment as apps/chain-watcher, without the deposit side. Run with `node --import tsx`.
import { z } from 'zod';
import { chainMigrationsFolder, chainSchema } from '@strongbox/chain-data-access';
import { commonEnv, databaseEnv, natsEnv, strictInteger } from '@strongbox/shared-config';
import { runService } from '@strongbox/shared-runtime';
import { chainWithdrawalEnv, startWithdrawalSender, watchedTokensEnv } from '../../src/index';

const configSchema = z.object({
  ...commonEnv.shape,
  ...databaseEnv.shape,
  ...natsEnv.shape,
  CHAIN_RPC_URL: z.url({ protocol: /^(http|https)$/ }),
  CHAIN_ID: strictInteger({ min: 1, max: 2 ** 31 - 1 }),
  CHAIN_RPC_TIMEOUT_MS: strictInteger({ min: 100, max: 60_000 }).default(5_000),
  CHAIN_DEPOSIT_TOKENS: watchedTokensEnv(),
  ...chainWithdrawalEnv.shape,
});

await runService(
  {
    service: 'chain-watcher',
    configSchema,
    secretKeys: ['DATABASE_URL', 'CHAIN_RPC_URL'],
    start: async (context) => {
      const database = await context.openDatabase({ tables: chainSchema, migrationsFolder: chainMigrationsFolder });
      await startWithdrawalSender(context, { database });
    },
  },
  process.env,
);
