import { v7 as uuidv7 } from 'uuid';
import { DomainError, DomainErrorCodes } from './errors';

// ---------------------------------------------------------------------------------------------
// Ids: UUIDv7 (RFC 9562). The first 48 bits are the Unix time in milliseconds, so ids sort by
// creation time in B-tree indexes, logs and JetStream; within one process they are also strictly
// increasing, because the generator keeps a counter for ids made in the same millisecond.
// ---------------------------------------------------------------------------------------------

/** A UUIDv7 string in canonical form (lower-case hex, with hyphens). */
export type Id = string;

/**
 * The canonical text of a UUIDv7: lower-case hex, version nibble `7`, RFC 9562 variant (`8`-`b`).
 * Upper-case spellings are refused on purpose: ids are compared as text (inbox, outbox, audit
 * log), and two spellings of one id would defeat de-duplication.
 */
export const UUID_V7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Returns a new UUIDv7. Ids made later in the same process compare greater (as strings too),
 * even when several are made within one millisecond.
 *
 * @example
 * const eventId = newId(); // '019a7c3e-…-7…'
 */
export function newId(): Id {
  return uuidv7();
}

/**
 * True when `value` is a UUIDv7 in canonical lower-case form; false for other UUID versions,
 * the nil and max UUIDs, upper-case or brace-wrapped spellings and anything that is not a string.
 */
export function isUuidV7(value: unknown): value is Id {
  return typeof value === 'string' && UUID_V7_PATTERN.test(value);
}

/** Same as isUuidV7; kept for code written against the earlier name. */
export const isId = isUuidV7;

/**
 * The creation time embedded in a UUIDv7, in milliseconds since the Unix epoch. Throws
 * DomainError (DOMAIN_ERR_INVALID_ID) for anything that is not a canonical UUIDv7, since reading
 * a time out of another kind of id would give a meaningless answer.
 *
 * @example
 * new Date(uuidV7TimeMs(event.id)).toISOString(); // when the event id was made
 */
export function uuidV7TimeMs(id: Id): number {
  if (!isUuidV7(id)) {
    throw new DomainError(DomainErrorCodes.invalidId, `${JSON.stringify(String(id).slice(0, 64))} is not a UUIDv7`);
  }
  // 48 bits fit a double exactly (2^48 < 2^53), so this is exact integer arithmetic.
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
