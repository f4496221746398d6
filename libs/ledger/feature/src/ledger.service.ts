import { durableName, eventSubject, StreamBases, userRegisteredV1 } from '@strongbox/shared-contracts';
import { processOnce } from '@strongbox/shared-db';
import { eventConsumerSpec, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { ledgerMigrationsFolder, ledgerSchema, openUserAccounts } from '@strongbox/ledger-data-access';

export interface LedgerConfig extends RuntimeConfig {
  /** Assets a user gets an account in, e.g. `['USDT']`. */
  readonly LEDGER_ASSETS: readonly string[];
}

/** ledger: opens a user's accounts when the bot registers the user. */
export async function startLedger(context: ServiceContext<LedgerConfig>): Promise<void> {
  const { config, namespace } = context;
  const database = await context.openDatabase({ tables: ledgerSchema, migrationsFolder: ledgerMigrationsFolder });

  const durable = durableName('ledger', 'open-account', 'user-registered');
  await context.consume({
    spec: eventConsumerSpec({
      namespace,
      stream: StreamBases.bot,
      durable,
      filterSubject: eventSubject(namespace, userRegisteredV1.type),
      description: 'Opens the accounts of every newly registered user',
    }),
    decode: (raw) => userRegisteredV1.parse(raw),
    handle: async (event) => {
      await processOnce(database, { consumer: durable, eventId: event.id, isolationLevel: 'read committed' }, (tx) =>
        openUserAccounts(tx, { namespace, userId: event.data.userId, assets: config.LEDGER_ASSETS, causationId: event.id }),
      );
    },
  });
}
