import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

// ---------------------------------------------------------------------------------------------
// Message headers: plain records at the lib's edges, NATS MsgHdrs only inside.
// ---------------------------------------------------------------------------------------------

/** Header names every Strongbox message may carry. */
export const MessageHeaders = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  contentType: 'Content-Type',
  cloudEventType: 'ce-type',
  cloudEventId: 'ce-id',
  cloudEventSource: 'ce-source',
  cloudEventSpecVersion: 'ce-specversion',
  /** JetStream's de-duplication id; set through the publish `msgID` option, never copied by hand. */
  natsMsgId: 'Nats-Msg-Id',
} as const;

/** Headers a record may hold; a message with more is cut here so no map grows without limit. */
export const HEADERS_COUNT_MAX = 64;
/** Longest header value kept; NATS itself has no limit, but a header is metadata, not a payload. */
export const HEADER_VALUE_LENGTH_MAX = 4_096;

/**
 * Copies NATS headers into a plain record: first value of each name, names as sent. At most
 * HEADERS_COUNT_MAX names are kept.
 */
export function headersToRecord(headers: MsgHdrs | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  let count = 0;
  for (const [name, values] of headers) {
    if (count >= HEADERS_COUNT_MAX) break;
    const first = values[0];
    if (first === undefined) continue;
    record[name] = first;
    count += 1;
  }
  return record;
}

/**
 * Builds NATS headers from a record. Values are made header-safe first (see `headerValue`), so
 * an error message with a line break cannot break the protocol or inject a header.
 */
export function recordToHeaders(record: Readonly<Record<string, string>>): MsgHdrs {
  const headers = createHeaders();
  let count = 0;
  for (const [name, value] of Object.entries(record)) {
    if (count >= HEADERS_COUNT_MAX) break;
    headers.set(name, headerValue(value));
    count += 1;
  }
  return headers;
}

/** A header-safe value: line breaks become spaces and the value is cut at `lengthMax` characters. */
export function headerValue(value: string, lengthMax: number = HEADER_VALUE_LENGTH_MAX): string {
  const flat = value.replace(/[\r\n]+/g, ' ').trim();
  return flat.length > lengthMax ? `${flat.slice(0, Math.max(0, lengthMax - 1))}…` : flat;
}

/** Case-insensitive lookup, as HTTP and NATS header names are case-insensitive on the wire. */
export function findHeader(record: Readonly<Record<string, string>>, name: string): string | undefined {
  const exact = record[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

/** Reads OpenTelemetry propagation fields (`traceparent`, `tracestate`) from a header record. */
export const recordGetter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => findHeader(carrier, key),
};

/** Writes OpenTelemetry propagation fields into a header record. */
export const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
