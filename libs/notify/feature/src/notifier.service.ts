import { createI18n } from '@strongbox/shared-i18n';
import type { RuntimeConfig, ServiceContext } from '@strongbox/shared-runtime';
import { notifyMigrationsFolder, notifySchema } from '@strongbox/notify-data-access';
import { parseAssetDecimals } from './assets';
import type { NotifierContentConfig } from './content.config';
import { startMoneyConsumers } from './money.consumers';
import { startReadModelConsumers } from './read-model.consumers';
import { createTexts } from './texts';
import { startUserConsumers } from './user.consumers';

export interface NotifierConfig extends RuntimeConfig, NotifierContentConfig {
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
  const texts = createTexts(createI18n(), parseAssetDecimals(config.NOTIFY_ASSET_DECIMALS));

  await startReadModelConsumers(context, database, texts);
  await startUserConsumers(context, database, texts);
  await startMoneyConsumers(context, database, texts);
}
