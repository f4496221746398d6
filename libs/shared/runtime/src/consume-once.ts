import type { z } from 'zod';
import { durableName, eventSubject, StreamBases, type CloudEvent, type EventDefinition } from '@strongbox/shared-contracts';
import { processOnce, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import type { ConsumerHandle } from '@strongbox/shared-messaging';
import { eventConsumerSpec } from './consumer-spec';
import type { RuntimeConfig } from './runtime.config';
import type { ServiceContext } from './service.runtime';

/**
 * Consumes one event type from its context's stream under the durable
 * `<service>-<action>-on-<aggregate>-<name>`, and handles each event once: the inbox row and the
 * handler's effects commit in one read-committed transaction, so a redelivered or re-published
 * copy (same event id) changes nothing.
 *
 * @example
 * await consumeEventOnce(context, database, depositConfirmedV1, { action: 'credit', description: 'Credits each confirmed deposit once' },
 *   (tx, event) => deposits.credit(tx, event));
 */
export async function consumeEventOnce<TConfig extends RuntimeConfig, S extends z.ZodType>(
  context: Pick<ServiceContext<TConfig>, 'service' | 'namespace' | 'consume'>,
  database: DatabaseHandle,
  event: EventDefinition<S>,
  options: { action: string; description: string },
  handle: (tx: DbExecutor, event: CloudEvent<z.output<S>>) => Promise<unknown>,
): Promise<ConsumerHandle> {
  const durable = durableName(context.service, options.action, `${event.aggregate}-${event.name}`);
  return await context.consume({
    spec: eventConsumerSpec({
      namespace: context.namespace,
      stream: StreamBases[event.context],
      durable,
      filterSubject: eventSubject(context.namespace, event.type),
      description: options.description,
    }),
    decode: (raw) => event.parse(raw),
    handle: async (decoded) => {
      await processOnce(database, { consumer: durable, eventId: decoded.id, isolationLevel: 'read committed' }, (tx) => handle(tx, decoded));
    },
  });
}
