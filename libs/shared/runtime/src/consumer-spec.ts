import { deadLetterSubject, streamName, type StreamBase } from '@strongbox/shared-contracts';
import type { ConsumerSpec } from '@strongbox/shared-messaging';

/** Defaults for consumers of domain events; each service overrides only what differs. */
export const EVENT_CONSUMER_DEFAULTS = {
  maxDeliver: 10,
  backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000],
  ackWaitMs: 30_000,
  batchSizeMax: 50,
  maxAckPending: 1,
} as const;

/**
 * A durable consumer of one subject filter in one stream, with its dead-letter subject derived
 * from the durable name (`<ns>.dlq.<durable>`).
 *
 * @example
 * eventConsumerSpec({ namespace, stream: StreamBases.bot, durable, filterSubject, description: '…' })
 */
export function eventConsumerSpec(options: {
  namespace: string;
  stream: StreamBase;
  durable: string;
  filterSubject: string;
  description: string;
  overrides?: Partial<Pick<ConsumerSpec, 'maxDeliver' | 'backoffMs' | 'ackWaitMs' | 'batchSizeMax' | 'maxAckPending'>>;
}): ConsumerSpec {
  return {
    ...EVENT_CONSUMER_DEFAULTS,
    backoffMs: [...EVENT_CONSUMER_DEFAULTS.backoffMs],
    ...options.overrides,
    stream: streamName(options.namespace, options.stream),
    durable: options.durable,
    filterSubject: options.filterSubject,
    deadLetterSubject: deadLetterSubject(options.namespace, options.durable),
    description: options.description,
  };
}
