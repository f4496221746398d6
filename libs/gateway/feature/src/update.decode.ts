import type { Update } from 'grammy/types';

/** Decodes a stored Telegram update; anything without a non-negative integer update_id is malformed (dead-lettered at once). */
export function decodeStoredUpdate(raw: unknown): Update {
  const updateId = typeof raw === 'object' && raw !== null ? (raw as { update_id?: unknown }).update_id : undefined;
  if (typeof updateId !== 'number' || !Number.isSafeInteger(updateId) || updateId < 0) {
    throw new Error('not a Telegram update: update_id missing or not a non-negative integer');
  }
  return raw as Update;
}
