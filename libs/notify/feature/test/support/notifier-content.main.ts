// The content side of the notifier as its own process, for integration and crash tests: the same
// runtime as apps/notifier (config, NATS, migrations, outbox relay, consumers, shutdown) without the
// delivery worker, so a test reads the queue the consumers fill. Run with `node --import tsx`.
import { z } from 'zod';
import { commonEnv, databaseEnv, natsEnv } from '@strongbox/shared-config';
import { runService } from '@strongbox/shared-runtime';
import { notifyMigrationsFolder, notifySchema } from '@strongbox/notify-data-access';
import { notifierContentEnv, startNotifierContent } from '../../src/index';

const configSchema = z.object({ ...commonEnv.shape, ...databaseEnv.shape, ...natsEnv.shape, ...notifierContentEnv.shape });

await runService(
  {
    service: 'notifier',
    configSchema,
    secretKeys: ['DATABASE_URL'],
    start: async (context) => {
      const database = await context.openDatabase({ tables: notifySchema, migrationsFolder: notifyMigrationsFolder });
      await startNotifierContent(context, database);
    },
  },
  process.env,
);
