import { startNotifier } from '@strongbox/notify-feature';
import { runService } from '@strongbox/shared-runtime';
import { notifierConfigSchema } from './config';

await runService(
  { service: 'notifier', configSchema: notifierConfigSchema, secretKeys: ['DATABASE_URL', 'BOT_TOKEN'], start: startNotifier },
  process.env,
);
