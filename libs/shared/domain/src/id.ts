import { v7 as uuidv7, validate, version } from 'uuid';

/** A UUIDv7 string: time-ordered, so ids sort by creation time in indexes and logs. */
export type Id = string;

/**
 * Returns a new UUIDv7.
 *
 * @example
 * const eventId = newId(); // '019a...-7...'
 */
export function newId(): Id {
  return uuidv7();
}

/** True when `value` is a well-formed UUID of version 7. */
export function isId(value: string): boolean {
  return validate(value) && version(value) === 7;
}
