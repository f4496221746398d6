import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
  type StreamUpdateConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  Contexts,
  NAMESPACE_PATTERN,
  StreamBases,
  contextEventsWildcard,
  deadLetterWildcard,
  streamName,
  type Context,
  type StreamBase,
} from '@strongbox/shared-contracts';
import { MessagingError, MessagingErrorCodes, isTransientNatsError } from './errors';
import { isValidName, isValidSubject } from './subjects';
import { assertIntegerInRange } from './timeout';

// ---------------------------------------------------------------------------------------------
// Streams as code: every service declares the same streams at start and converges them.
// ---------------------------------------------------------------------------------------------

/**
 * A JetStream stream as Strongbox uses them: file storage, limits retention, oldest messages
 * discarded first, one replica. Only what differs between streams is a field.
 */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly description: string;
  /** Messages older than this are removed. */
  readonly maxAgeMs: number;
  /** How long a `Nats-Msg-Id` is remembered for de-duplication; at most `maxAgeMs`. */
  readonly duplicateWindowMs: number;
  /** Largest total size before the oldest messages are dropped; unlimited when not given. */
  readonly maxBytes?: number;
  /** Largest single message the stream accepts; unlimited when not given. */
  readonly maxMsgSizeBytes?: number;
}

const HOUR_MS = 60 * 60 * 1_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Context streams keep their facts long enough for a consumer that was down over a long weekend
 * (or a new consumer) to catch up from the stream; the audit log and the services' own tables are
 * the record beyond that (ADR 3: JetStream is transport, not record).
 */
export const CONTEXT_STREAM_MAX_AGE_MS = 30 * DAY_MS;
/** Telegram updates are worthless after a day: Telegram itself drops undelivered updates after 24 h. */
export const TELEGRAM_UPDATES_MAX_AGE_MS = DAY_MS;
/** Dead letters wait for an operator; a month covers holidays and a slow investigation. */
export const DEAD_LETTERS_MAX_AGE_MS = 30 * DAY_MS;
/**
 * How long JetStream remembers a message id. Re-publishes happen within seconds: the outbox relay
 * re-publishes rows whose mark was lost in a crash at its next poll (about a second, plus a publish
 * timeout of at most 15 s), and the Telegram ingress re-fetches unconfirmed updates within one long
 * poll (25 s). Two minutes covers both with room to spare, while keeping the server's per-id memory
 * small; anything older is caught by the consumers' inbox, not by the stream.
 */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1_000;

/** Streams one `ensureStreams` call converges at most. */
export const STREAM_SPECS_MAX = 64;
/** Subjects one stream may capture at most. */
export const STREAM_SUBJECTS_MAX = 32;
/** Create/update rounds per stream when another service changes it at the same moment. */
const ENSURE_ATTEMPTS_MAX = 3;

/** JetStream API error: a stream with this name exists with another configuration (a create lost a race). */
/** JetStream's "error creating store for stream" (10049). */
const STREAM_STORE_CREATE_FAILED_CODE = 10_049;
const STORE_RETRY_DELAY_MS = 50;
const STREAM_NAME_IN_USE_CODE = 10_058;

/**
 * The namespace's streams, one per StreamBases value: each context's stream captures its events,
 * `<ns>.<context>.evt.>` (commands are request/reply and must not be answered by a stream's publish
 * acknowledgement, so they stay outside every stream), `TG_UPDATES` the Telegram ingress
 * (`<ns>.tg.updates.>`, one day), and `DLQ` every dead letter (`<ns>.dlq.>`, 30 days).
 *
 * @example
 * await ensureStreams(jsm, standardStreams('sb')); // SB_BOT, SB_LEDGER, …, SB_TG_UPDATES, SB_DLQ
 */
export function standardStreams(namespace: string): StreamSpec[] {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new MessagingError(MessagingErrorCodes.invalidOption, `namespace "${namespace}" must match ${NAMESPACE_PATTERN.source}`);
  }
  const contextBases: Record<Context, StreamBase> = {
    [Contexts.bot]: StreamBases.bot,
    [Contexts.ledger]: StreamBases.ledger,
    [Contexts.chain]: StreamBases.chain,
    [Contexts.notify]: StreamBases.notify,
    [Contexts.admin]: StreamBases.admin,
  };
  const contextStreams = Object.entries(contextBases).map(
    ([context, base]): StreamSpec => ({
      name: streamName(namespace, base),
      subjects: [contextEventsWildcard(namespace, context as Context)],
      description: `Events of the ${context} context`,
      maxAgeMs: CONTEXT_STREAM_MAX_AGE_MS,
      duplicateWindowMs: DUPLICATE_WINDOW_MS,
    }),
  );
  return [
    ...contextStreams,
    {
      name: streamName(namespace, StreamBases.tgUpdates),
      subjects: [`${namespace}.tg.updates.>`],
      description: 'Telegram updates, stored before Telegram is told they were received',
      maxAgeMs: TELEGRAM_UPDATES_MAX_AGE_MS,
      duplicateWindowMs: DUPLICATE_WINDOW_MS,
    },
    {
      name: streamName(namespace, StreamBases.deadLetters),
      subjects: [deadLetterWildcard(namespace)],
      description: 'Messages a consumer gave up on, with the error in their headers',
      maxAgeMs: DEAD_LETTERS_MAX_AGE_MS,
      duplicateWindowMs: DUPLICATE_WINDOW_MS,
    },
  ];
}

/**
 * Makes each stream exist with exactly its spec: creates it when missing, updates it in place
 * when a setting differs (subjects, age, sizes, description), and leaves it alone when it
 * matches, so calling it at every start is cheap and idempotent. Safe when several services race
 * to create the same stream. Fails with MESSAGING_ERR_STREAM_CONFLICT for a difference the server
 * cannot change in place (storage, retention) or refuses (subjects overlapping another stream),
 * and with MESSAGING_ERR_INVALID_OPTION, before touching the server, for an invalid spec.
 *
 * @example
 * const jsm = await jetstreamManager(nc, { timeout: 5_000 });
 * await ensureStreams(jsm, standardStreams(namespace));
 */
export async function ensureStreams(jsm: JetStreamManager, specs: readonly StreamSpec[]): Promise<void> {
  validateStreamSpecs(specs);
  for (const spec of specs) await ensureStream(jsm, spec);
}

/** Throws MESSAGING_ERR_INVALID_OPTION naming the first problem of `specs`. */
export function validateStreamSpecs(specs: readonly StreamSpec[]): void {
  if (specs.length > STREAM_SPECS_MAX) invalid(`at most ${STREAM_SPECS_MAX} streams per call, got ${specs.length}`);
  const names = new Set<string>();
  for (const spec of specs) {
    if (!isValidName(spec.name)) invalid(`stream name "${spec.name}" must be 1 to 64 letters, digits, "_" or "-"`);
    if (names.has(spec.name)) invalid(`stream ${spec.name} is declared twice`);
    names.add(spec.name);
    if (spec.subjects.length === 0 || spec.subjects.length > STREAM_SUBJECTS_MAX) {
      invalid(`stream ${spec.name} must capture 1 to ${STREAM_SUBJECTS_MAX} subjects, got ${spec.subjects.length}`);
    }
    for (const subject of spec.subjects) {
      if (!isValidSubject(subject, { wildcards: true })) invalid(`stream ${spec.name}: "${subject}" is not a valid subject`);
    }
    if (spec.description.trim().length === 0) invalid(`stream ${spec.name} needs a description`);
    assertIntegerInRange(`${spec.name}.maxAgeMs`, spec.maxAgeMs, 1_000);
    assertIntegerInRange(`${spec.name}.duplicateWindowMs`, spec.duplicateWindowMs, 100, spec.maxAgeMs);
    if (spec.maxBytes !== undefined) assertIntegerInRange(`${spec.name}.maxBytes`, spec.maxBytes, 1);
    if (spec.maxMsgSizeBytes !== undefined) assertIntegerInRange(`${spec.name}.maxMsgSizeBytes`, spec.maxMsgSizeBytes, 1);
  }
}

/** The full server configuration a spec stands for; every setting that matters is explicit. */
export function streamConfigOf(spec: StreamSpec): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    ...streamUpdateOf(spec),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_consumers: -1,
  };
}

function streamUpdateOf(spec: StreamSpec): Partial<StreamUpdateConfig> {
  return {
    subjects: [...spec.subjects],
    description: spec.description,
    max_age: nanos(spec.maxAgeMs),
    duplicate_window: nanos(spec.duplicateWindowMs),
    max_bytes: spec.maxBytes ?? -1,
    max_msg_size: spec.maxMsgSizeBytes ?? -1,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    discard: DiscardPolicy.Old,
    num_replicas: 1,
  };
}

/** Names of the settings where the stream on the server differs from the spec (empty: it matches). */
export function streamDifferences(spec: StreamSpec, existing: StreamConfig): string[] {
  const wanted = streamUpdateOf(spec);
  const differences: string[] = [];
  const sameSubjects =
    existing.subjects.length === spec.subjects.length && [...existing.subjects].sort().join(' ') === [...spec.subjects].sort().join(' ');
  if (!sameSubjects) differences.push('subjects');
  if ((existing.description ?? '') !== wanted.description) differences.push('description');
  const numeric = ['max_age', 'duplicate_window', 'max_bytes', 'max_msg_size', 'max_msgs', 'max_msgs_per_subject', 'num_replicas'] as const;
  for (const key of numeric) {
    if (existing[key] !== wanted[key]) differences.push(key);
  }
  if (existing.discard !== wanted.discard) differences.push('discard');
  return differences;
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  for (let attempt = 1; attempt <= ENSURE_ATTEMPTS_MAX; attempt += 1) {
    const existing = await streamInfoOrUndefined(jsm, spec.name);
    if (existing === undefined) {
      try {
        await jsm.streams.add(streamConfigOf(spec));
        return;
      } catch (error) {
        // Another service created it between our look-up and our create, with other settings
        // (an identical create succeeds): converge it through the update path.
        if (error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE_CODE) continue;
        // nats-server 2.9 removes an account's streams directory when its last stream is deleted; a
        // create racing that removal fails with "error creating store" and succeeds when tried again.
        if (error instanceof JetStreamApiError && error.code === STREAM_STORE_CREATE_FAILED_CODE && attempt < ENSURE_ATTEMPTS_MAX) {
          await new Promise((resolve) => setTimeout(resolve, STORE_RETRY_DELAY_MS * attempt));
          continue;
        }
        throw classifyStreamError(spec, 'create', error);
      }
    }
    const config = existing.config;
    if (config.storage !== StorageType.File || config.retention !== RetentionPolicy.Limits) {
      throw new MessagingError(
        MessagingErrorCodes.streamConflict,
        `stream ${spec.name} exists with storage ${config.storage} and retention ${config.retention}; ` +
          `neither can change in place (wanted ${StorageType.File}, ${RetentionPolicy.Limits}): migrate it by hand`,
      );
    }
    if (streamDifferences(spec, config).length === 0) return;
    try {
      await jsm.streams.update(spec.name, streamUpdateOf(spec));
      return;
    } catch (error) {
      // Deleted between our look-up and our update: create it on the next round.
      if (isStreamNotFound(error)) continue;
      throw classifyStreamError(spec, 'update', error);
    }
  }
  throw new MessagingError(
    MessagingErrorCodes.streamConflict,
    `stream ${spec.name} kept changing under us; gave up after ${ENSURE_ATTEMPTS_MAX} attempts`,
    { transient: true },
  );
}

async function streamInfoOrUndefined(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (isStreamNotFound(error)) return undefined;
    throw new MessagingError(
      isTransientNatsError(error) ? MessagingErrorCodes.unavailable : MessagingErrorCodes.streamConflict,
      `could not read stream ${name}: ${describe(error)}`,
      { cause: error, transient: isTransientNatsError(error) },
    );
  }
}

function classifyStreamError(spec: StreamSpec, action: 'create' | 'update', error: unknown): MessagingError {
  if (error instanceof MessagingError) return error;
  const transient = isTransientNatsError(error);
  return new MessagingError(
    transient ? MessagingErrorCodes.unavailable : MessagingErrorCodes.streamConflict,
    `could not ${action} stream ${spec.name}: ${describe(error)}`,
    { cause: error, transient },
  );
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function invalid(message: string): never {
  throw new MessagingError(MessagingErrorCodes.invalidOption, message);
}
