import type { DatabaseHandle } from '@strongbox/shared-db';
import { createI18n } from '@strongbox/shared-i18n';
import type { RuntimeConfig, ServiceContext } from '@strongbox/shared-runtime';
import { parseAssetDecimals } from './assets';
import type { NotifierContentConfig } from './content.config';
import { startMoneyConsumers } from './money.consumers';
import { startReadModelConsumers } from './read-model.consumers';
import { createTexts } from './texts';
import { startUserConsumers } from './user.consumers';

/**
 * Everything that decides which notifications exist and what they say: the recipients read model,
 * and one consumer per kind of event that enqueues its notifications in the event's inbox
 * transaction. Sending is the delivery worker's job.
 */
export async function startNotifierContent<TConfig extends RuntimeConfig & NotifierContentConfig>(
  context: ServiceContext<TConfig>,
  database: DatabaseHandle,
): Promise<void> {
  const texts = createTexts(createI18n(), parseAssetDecimals(context.config.NOTIFY_ASSET_DECIMALS));
  await startReadModelConsumers(context, database, texts);
  await startUserConsumers(context, database, texts);
  await startMoneyConsumers(context, database, texts);
}
