import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerUpdateConfig,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { MessagingError, MessagingErrorCodes, isTransientNatsError } from './errors';
import { isValidName, isValidSubject } from './subjects';
import { assertIntegerInRange } from './timeout';

// ---------------------------------------------------------------------------------------------
// Durable pull consumers as code.
// ---------------------------------------------------------------------------------------------

/** A durable pull consumer and how its runner treats failures. */
export interface ConsumerSpec {
  /** Stream name, e.g. `SB_LEDGER` (see `streamName` in the contracts lib). */
  readonly stream: string;
  /** Durable name, `<service>-<action>-on-<event>`. */
  readonly durable: string;
  /** Subjects this consumer receives; may end in `>` or hold `*` tokens. */
  readonly filterSubject: string;
  /** Deliveries of one message before it is dead-lettered (the first delivery counts). */
  readonly maxDeliver: number;
  /** Delay before redelivery after the n-th failed delivery: `backoffMs[min(n - 1, length - 1)]`. */
  readonly backoffMs: readonly number[];
  /** How long the server waits for an ack before redelivering; the runner extends it while a handler works. */
  readonly ackWaitMs: number;
  /** Messages asked for per pull; they are handled one after another, in order. */
  readonly batchSizeMax: number;
  /** Messages delivered and not yet acknowledged, across every instance; 1 keeps strict order. */
  readonly maxAckPending: number;
  /** Where messages go that are given up on: `<ns>.dlq.<durable>`. */
  readonly deadLetterSubject: string;
  readonly description: string;
}

/** Limits on consumer specs; beyond them a value is a mistake, not a tuning. */
export const CONSUMER_LIMITS = {
  maxDeliverMax: 1_000,
  backoffStepsMax: 32,
  backoffMsMax: 60 * 60 * 1_000,
  ackWaitMsMin: 1_000,
  ackWaitMsMax: 60 * 60 * 1_000,
  batchSizeMax: 1_000,
  maxAckPendingMax: 10_000,
  descriptionLengthMax: 512,
} as const;

/** Throws MESSAGING_ERR_INVALID_OPTION naming the first problem of `spec`. */
export function validateConsumerSpec(spec: ConsumerSpec): void {
  if (!isValidName(spec.stream)) invalid(`stream "${spec.stream}" is not a valid stream name`);
  if (!isValidName(spec.durable)) invalid(`durable "${spec.durable}" must be 1 to 64 letters, digits, "_" or "-"`);
  if (!isValidSubject(spec.filterSubject, { wildcards: true })) invalid(`filterSubject "${spec.filterSubject}" is not a valid subject`);
  if (!isValidSubject(spec.deadLetterSubject, { wildcards: false })) {
    invalid(`deadLetterSubject "${spec.deadLetterSubject}" is not a publishable subject`);
  }
  assertIntegerInRange('maxDeliver', spec.maxDeliver, 1, CONSUMER_LIMITS.maxDeliverMax);
  if (spec.backoffMs.length === 0 || spec.backoffMs.length > CONSUMER_LIMITS.backoffStepsMax) {
    invalid(`backoffMs must hold 1 to ${CONSUMER_LIMITS.backoffStepsMax} delays, got ${spec.backoffMs.length}`);
  }
  spec.backoffMs.forEach((delayMs, index) => assertIntegerInRange(`backoffMs[${index}]`, delayMs, 0, CONSUMER_LIMITS.backoffMsMax));
  assertIntegerInRange('ackWaitMs', spec.ackWaitMs, CONSUMER_LIMITS.ackWaitMsMin, CONSUMER_LIMITS.ackWaitMsMax);
  assertIntegerInRange('batchSizeMax', spec.batchSizeMax, 1, CONSUMER_LIMITS.batchSizeMax);
  assertIntegerInRange('maxAckPending', spec.maxAckPending, 1, CONSUMER_LIMITS.maxAckPendingMax);
  if (spec.description.trim().length === 0 || spec.description.length > CONSUMER_LIMITS.descriptionLengthMax) {
    invalid(`description must have 1 to ${CONSUMER_LIMITS.descriptionLengthMax} characters`);
  }
}

/**
 * The server-side configuration of a spec. Note `max_deliver: -1`: the runner itself dead-letters
 * a message on its `spec.maxDeliver`-th delivery. Were the server to stop at that count too, a
 * message whose dead-lettering failed (the DLQ stream unreachable) could never be redelivered to
 * try again and would be stranded in the stream; with the runner counting, it is retried until
 * the dead letter is stored (a message past its count is dead-lettered without running the handler).
 */
export function consumerConfigOf(spec: ConsumerSpec): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    description: spec.description,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: spec.filterSubject,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: -1,
    max_ack_pending: spec.maxAckPending,
  };
}

function consumerUpdateOf(spec: ConsumerSpec): Partial<ConsumerUpdateConfig> {
  const config = consumerConfigOf(spec);
  return {
    description: config.description,
    filter_subject: config.filter_subject,
    ack_wait: config.ack_wait,
    max_deliver: config.max_deliver,
    max_ack_pending: config.max_ack_pending,
  };
}

/** Names of the settings where the consumer on the server differs from the spec. */
export function consumerDifferences(spec: ConsumerSpec, existing: ConsumerConfig): string[] {
  const wanted = consumerUpdateOf(spec);
  const differences: string[] = [];
  if ((existing.description ?? '') !== wanted.description) differences.push('description');
  if ((existing.filter_subject ?? '') !== wanted.filter_subject || (existing.filter_subjects?.length ?? 0) > 0) {
    differences.push('filter_subject');
  }
  if (existing.ack_wait !== wanted.ack_wait) differences.push('ack_wait');
  if (existing.max_deliver !== wanted.max_deliver) differences.push('max_deliver');
  if (existing.max_ack_pending !== wanted.max_ack_pending) differences.push('max_ack_pending');
  return differences;
}

/** Create/update rounds when another instance changes the consumer at the same moment. */
const ENSURE_ATTEMPTS_MAX = 3;

/**
 * Makes the durable consumer exist with exactly `spec`'s settings: creates it when missing,
 * updates what can change in place (description, filter, ack wait, max ack pending) and fails
 * with MESSAGING_ERR_CONSUMER_CONFLICT for what cannot (ack or deliver policy) or what the
 * server refuses. Idempotent; instances of one service may call it at the same time.
 */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<ConsumerInfo> {
  validateConsumerSpec(spec);
  for (let attempt = 1; attempt <= ENSURE_ATTEMPTS_MAX; attempt += 1) {
    const existing = await consumerInfoOrUndefined(jsm, spec);
    if (existing === undefined) {
      try {
        return await jsm.consumers.add(spec.stream, consumerConfigOf(spec));
      } catch (error) {
        // Created meanwhile by another instance with other settings: converge on the next round.
        if (attempt < ENSURE_ATTEMPTS_MAX && error instanceof JetStreamApiError && error.code === CONSUMER_EXISTS_CODE) continue;
        throw classifyConsumerError(spec, 'create', error);
      }
    }
    const config = existing.config;
    if (config.ack_policy !== AckPolicy.Explicit || config.deliver_policy !== DeliverPolicy.All || config.deliver_subject) {
      throw new MessagingError(
        MessagingErrorCodes.consumerConflict,
        `consumer ${spec.durable} on ${spec.stream} exists with ack policy ${config.ack_policy}, deliver policy ` +
          `${config.deliver_policy}${config.deliver_subject ? ' (push)' : ''}; only an explicit-ack pull consumer delivering all ` +
          'can be used: delete it by hand',
      );
    }
    if (consumerDifferences(spec, config).length === 0) return existing;
    try {
      return await jsm.consumers.update(spec.stream, spec.durable, consumerUpdateOf(spec));
    } catch (error) {
      if (attempt < ENSURE_ATTEMPTS_MAX && isConsumerNotFound(error)) continue;
      throw classifyConsumerError(spec, 'update', error);
    }
  }
  throw new MessagingError(
    MessagingErrorCodes.consumerConflict,
    `consumer ${spec.durable} on ${spec.stream} kept changing under us; gave up after ${ENSURE_ATTEMPTS_MAX} attempts`,
    { transient: true },
  );
}

/** JetStream API error: a consumer with this name exists with another configuration. */
const CONSUMER_EXISTS_CODE = 10_148;

async function consumerInfoOrUndefined(jsm: JetStreamManager, spec: ConsumerSpec): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(spec.stream, spec.durable);
  } catch (error) {
    if (isConsumerNotFound(error)) return undefined;
    throw classifyConsumerError(spec, 'read', error);
  }
}

/** True for "consumer not found" from the JetStream API. */
export function isConsumerNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;
}

function classifyConsumerError(spec: ConsumerSpec, action: 'create' | 'update' | 'read', error: unknown): MessagingError {
  if (error instanceof MessagingError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
    // Another service may be about to create it (each ensures the streams at start): worth a retry.
    return new MessagingError(MessagingErrorCodes.streamNotFound, `stream ${spec.stream} of consumer ${spec.durable} does not exist`, {
      cause: error,
      transient: true,
    });
  }
  const transient = isTransientNatsError(error);
  return new MessagingError(
    transient ? MessagingErrorCodes.unavailable : MessagingErrorCodes.consumerConflict,
    `could not ${action} consumer ${spec.durable} on ${spec.stream}: ${reason}`,
    { cause: error, transient },
  );
}

function invalid(message: string): never {
  throw new MessagingError(MessagingErrorCodes.invalidOption, message);
}
