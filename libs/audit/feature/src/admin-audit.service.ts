import { cloudEventEnvelopeSchema, contextEventsWildcard, durableName, StreamBases, type CloudEvent, type Context } from '@strongbox/shared-contracts';
import { processOnce } from '@strongbox/shared-db';
import { eventConsumerSpec, startServiceInboxHousekeeping, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';
import { appendAuditEvent, auditMigrationsFolder, auditSchema } from '@strongbox/audit-data-access';

export type AdminAuditConfig = RuntimeConfig;

/** The streams whose every event goes into the audit log. */
const AUDITED: ReadonlyArray<{ context: Context; stream: (typeof StreamBases)[keyof typeof StreamBases] }> = [
  { context: 'bot', stream: StreamBases.bot },
  { context: 'ledger', stream: StreamBases.ledger },
  { context: 'chain', stream: StreamBases.chain },
  { context: 'notify', stream: StreamBases.notify },
  { context: 'admin', stream: StreamBases.admin },
];

/** admin-audit: appends every event of every context to the hash-chained audit log. */
export async function startAdminAudit(context: ServiceContext<AdminAuditConfig>): Promise<void> {
  const { namespace } = context;
  const database = await context.openDatabase({ tables: auditSchema, migrationsFolder: auditMigrationsFolder });
  startServiceInboxHousekeeping(context, database);

  for (const audited of AUDITED) {
    const durable = durableName('admin-audit', 'append', `${audited.context}-events`);
    await context.consume<CloudEvent>({
      spec: eventConsumerSpec({
        namespace,
        stream: audited.stream,
        durable,
        filterSubject: contextEventsWildcard(namespace, audited.context),
        description: `Appends every ${audited.context} event to the audit log`,
        overrides: { batchSizeMax: 100 },
      }),
      // Any well-formed envelope is audited, including types this build does not know yet.
      decode: (raw) => cloudEventEnvelopeSchema.parse(raw) as CloudEvent,
      handle: async (event) => {
        await processOnce(database, { consumer: durable, eventId: event.id, isolationLevel: 'read committed' }, (tx) =>
          appendAuditEvent(tx, event),
        );
      },
    });
  }
}
