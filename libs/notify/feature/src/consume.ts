import type { z } from 'zod';
import { durableName, eventSubject, StreamBases, type CloudEvent, type EventDefinition } from '@strongbox/shared-contracts';
import { processOnce, type DatabaseHandle, type DbExecutor } from '@strongbox/shared-db';
import type { ConsumerHandle } from '@strongbox/shared-messaging';
import { eventConsumerSpec, type RuntimeConfig, type ServiceContext } from '@strongbox/shared-runtime';

/**
 * Thrown by a handler whose event names a user the read model does not know yet (the registration
 * is still on its way): the transaction rolls back and the event comes back later.
 */
export class RecipientNotKnownError extends Error {
  readonly code = 'NOTIFY_ERR_RECIPIENT_NOT_KNOWN';
  constructor(readonly userId: string) {
    super(`recipient ${userId} is not known yet`);
  }
}

/** How the wait for an unknown recipient grows: 2 s, 4 s, … up to 30 s, for at most `maxDeliver` deliveries (~25 min). */
const RECIPIENT_RETRY_MS_STEP = 2_000;
const RECIPIENT_RETRY_MS_MAX = 30_000;
const RECIPIENT_WAIT_DELIVERIES_MAX = 60;

export interface ConsumeOptions {
  readonly action: string;
  readonly description: string;
  /** The durable's event part; defaults to `<aggregate>-<name>` of the single event consumed. */
  readonly eventName?: string;
}

/**
 * Like shared-runtime's `consumeEventOnce` (inbox row and effects in one read-committed
 * transaction), for one or more event types of one context under one durable, so the events of one
 * aggregate (a deposit's detected → confirmed) are handled in the order they were published. A
 * RecipientNotKnownError defers the event instead of failing it. Event types under the filter that
 * are not listed are acknowledged untouched (a newer version this code does not know yet).
 */
export async function consumeEventsOnce<TConfig extends RuntimeConfig, D extends readonly EventDefinition[]>(
  context: Pick<ServiceContext<TConfig>, 'service' | 'namespace' | 'consume' | 'logger'>,
  database: DatabaseHandle,
  definitions: D,
  options: ConsumeOptions & { readonly filterSubject?: string },
  handle: (tx: DbExecutor, event: CloudEvent<z.output<D[number]['schema']>>) => Promise<unknown>,
): Promise<ConsumerHandle> {
  const first = definitions[0];
  if (!first || definitions.some((definition) => definition.context !== first.context)) {
    throw new Error('consumeEventsOnce needs one or more event types of one context');
  }
  const durable = durableName(context.service, options.action, options.eventName ?? `${first.aggregate}-${first.name}`);
  const byType = new Map(definitions.map((definition) => [definition.type, definition]));
  return context.consume({
    spec: eventConsumerSpec({
      namespace: context.namespace,
      stream: StreamBases[first.context],
      durable,
      filterSubject: options.filterSubject ?? eventSubject(context.namespace, first.type),
      description: options.description,
      overrides: { maxDeliver: RECIPIENT_WAIT_DELIVERIES_MAX },
    }),
    decode: (raw) => {
      const type = typeof raw === 'object' && raw !== null && 'type' in raw ? (raw as { type: unknown }).type : undefined;
      const definition = typeof type === 'string' ? byType.get(type) : undefined;
      return definition ? definition.parse(raw) : null;
    },
    handle: async (event, delivery) => {
      if (event === null) return undefined;
      try {
        await processOnce(database, { consumer: durable, eventId: event.id, isolationLevel: 'read committed' }, (tx) =>
          handle(tx, event as CloudEvent<z.output<D[number]['schema']>>),
        );
      } catch (error) {
        if (!(error instanceof RecipientNotKnownError)) throw error;
        context.logger.info({ userId: error.userId, eventId: event.id, type: event.type }, 'recipient not known yet; retrying later');
        return { retryAfterMs: Math.min(RECIPIENT_RETRY_MS_STEP * delivery.deliveryCount, RECIPIENT_RETRY_MS_MAX) };
      }
      return undefined;
    },
  });
}
