import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// CloudEvents 1.0 envelope
// ---------------------------------------------------------------------------------------------

/** The CloudEvents spec version every Strongbox event carries. */
export const CLOUDEVENTS_SPEC_VERSION = '1.0' as const;

/** Largest encoded event the bus accepts (bytes); larger payloads belong in a store, not an event. */
export const EVENT_SIZE_BYTES_MAX = 256 * 1024;

/**
 * A CloudEvents 1.0 event in structured JSON mode.
 * `type` carries the version (`bot.evt.user.registered.v1`); a breaking change is a new type.
 */
export interface CloudEvent<TData = unknown> {
  readonly specversion: typeof CLOUDEVENTS_SPEC_VERSION;
  /** UUIDv7; also the JetStream `Nats-Msg-Id`, so a re-publish de-duplicates. */
  readonly id: string;
  /** The producing service, as a URI reference: `strongbox/<service>`. */
  readonly source: string;
  readonly type: string;
  /** RFC 3339 timestamp of the fact. */
  readonly time: string;
  /** The aggregate the event is about, e.g. the user id. */
  readonly subject?: string | undefined;
  readonly datacontenttype: 'application/json';
  readonly dataschema: string;
  readonly data: TData;
}

/**
 * `<context>.evt.<aggregate>.<past-tense>.v<N>`: lower-case tokens that start with a letter, words
 * joined by `-`, and a version from 1 without leading zeros (`v0` and `v01` are not versions).
 */
export const EVENT_TYPE_PATTERN = /^[a-z]+\.evt\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.v[1-9][0-9]{0,5}$/;

/** Validates the envelope attributes only; `data` is checked by the event's own schema. */
export const cloudEventEnvelopeSchema = z.object({
  specversion: z.literal(CLOUDEVENTS_SPEC_VERSION),
  id: z.string().min(1).max(128),
  source: z.string().min(1).max(256),
  type: z.string().regex(EVENT_TYPE_PATTERN),
  time: z.iso.datetime({ offset: true }),
  subject: z.string().max(256).optional(),
  datacontenttype: z.literal('application/json'),
  dataschema: z.string().min(1),
  data: z.unknown(),
});
