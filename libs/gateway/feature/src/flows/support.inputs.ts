import { GatewayError, SUPPORT_CONTACT_LENGTH, SUPPORT_DESCRIPTION_LENGTH, userText } from '@strongbox/gateway-data-access';
import { supportRequestCategorySchema, type SupportRequestCategory } from '@strongbox/shared-contracts';
import type { InputResult } from './inputs';

// ---------------------------------------------------------------------------------------------
// What the support dialog reads, checked before anything is stored: the same rules the data
// access enforces (so a refusal here is what the database would refuse), each with a translation
// key. Request ids travel in 64-byte callback data, so they are packed into 22 base64url characters.
// ---------------------------------------------------------------------------------------------

export const SUPPORT_CATEGORIES: readonly SupportRequestCategory[] = supportRequestCategorySchema.options;

/** What the user sends instead of a contact to give none. */
export const NO_CONTACT = '-';

function checked(field: string, text: string, limits: { min: number; max: number }, key: string): InputResult<string> {
  try {
    return { ok: true, value: userText(field, text, limits) };
  } catch (error) {
    if (error instanceof GatewayError) return { ok: false, key, variables: { min: limits.min, max: limits.max } };
    throw error;
  }
}

/** The problem description: 10..2,000 characters (code points) of text without control characters. */
export function parseSupportDescription(text: string): InputResult<string> {
  return checked('description', text, SUPPORT_DESCRIPTION_LENGTH, 'support-description-invalid');
}

/** The contact: `-` for none, else 1..200 characters of text. */
export function parseSupportContact(text: string): InputResult<string | null> {
  if (text.trim() === NO_CONTACT) return { ok: true, value: null };
  return checked('contact', text, SUPPORT_CONTACT_LENGTH, 'support-contact-invalid');
}

/** A category named in a button's payload, or undefined. */
export function supportCategoryOf(payload: string): SupportRequestCategory | undefined {
  return SUPPORT_CATEGORIES.find((category) => category === payload);
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PACKED_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** A uuid as 22 base64url characters, to fit a button's payload. */
export function packUuid(id: string): string {
  if (!UUID_PATTERN.test(id)) throw new RangeError('packUuid: not a lower-case uuid');
  return Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
}

/** The uuid packed by `packUuid`; undefined for anything else. */
export function unpackUuid(packed: string): string | undefined {
  if (!PACKED_PATTERN.test(packed)) return undefined;
  const bytes = Buffer.from(packed, 'base64url');
  if (bytes.length !== 16 || bytes.toString('base64url') !== packed) return undefined;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** How a request is named to its user: the first block of its id, as the notifier names it too. */
export function supportNumber(id: string): string {
  return id.slice(0, 8);
}
