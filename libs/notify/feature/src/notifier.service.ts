import { startServiceInboxHousekeeping, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { notifyMigrationsFolder, notifySchema } from '@strongbox/notify-data-access';
import type { NotifierContentConfig } from './content.config';
import { startNotifierContent } from './content.service';
import { deliveryOptionsFromConfig, type DeliveryEnv } from './delivery/delivery.config';
import { startDelivery } from './delivery/delivery.worker';

export interface NotifierConfig extends RuntimeConfig, NotifierContentConfig, DeliveryEnv {
  readonly BOT_TOKEN: string;
  readonly TELEGRAM_API_ROOT: string;
}

/**
 * notifier: keeps the recipients read model and turns events into notifications on the delivery
 * queue, each in the inbox transaction of its event (see ADR 12). The delivery worker sends them.
 */
export async function startNotifier(context: ServiceContext<NotifierConfig>): Promise<void> {
  const { config } = context;
  const database = await context.openDatabase({ tables: notifySchema, migrationsFolder: notifyMigrationsFolder });
  startServiceInboxHousekeeping(context, database);
  await startNotifierContent(context, database);
  await startDelivery(context, database, deliveryOptionsFromConfig(config));
}
