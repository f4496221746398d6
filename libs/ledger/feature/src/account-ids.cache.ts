import { LedgerError, LedgerErrorCodes } from '@strongbox/ledger-data-access';

// ---------------------------------------------------------------------------------------------
// Which account is a user's available account in an asset. The answer never changes once known:
// accounts are never deleted and never change owner, and (user, asset, kind) is unique. So a
// command that only needs the id (to lock and move money) may take it from memory instead of
// reading it again, and save a round trip to PostgreSQL.
// ---------------------------------------------------------------------------------------------

/** Entries one cache keeps at most; a new entry beyond it pushes out the oldest. */
export const ACCOUNT_IDS_CACHED_MAX = 100_000;

/** Account ids by (user, asset), learnt from reads. */
export interface AvailableAccountIds {
  /** The user's available account in `asset`, if it was read before. */
  get(userId: string, asset: string): string | undefined;
  /** Records what a read returned. */
  remember(userId: string, asset: string, accountId: string): void;
}

/**
 * An in-memory map of available account ids holding at most `entriesMax` entries, oldest out
 * first. One per process: it needs no invalidation, so replicas need not share it.
 *
 * @example
 * const accountIds = createAvailableAccountIds();
 * const accountId = accountIds.get(userId, 'USDT') ?? (await readBalance(tx, userId, 'USDT')).accountId;
 */
export function createAvailableAccountIds(entriesMax: number = ACCOUNT_IDS_CACHED_MAX): AvailableAccountIds {
  if (!Number.isSafeInteger(entriesMax) || entriesMax < 1) {
    throw new LedgerError(LedgerErrorCodes.invalidArgument, `entriesMax must be a positive integer, got ${entriesMax}`);
  }
  const ids = new Map<string, string>();
  // PostgreSQL stores a uuid the same whatever its case; so does this key.
  const keyOf = (userId: string, asset: string): string => `${asset}:${userId.toLowerCase()}`;
  return {
    get: (userId, asset) => ids.get(keyOf(userId, asset)),
    remember(userId, asset, accountId) {
      const key = keyOf(userId, asset);
      if (ids.has(key)) return;
      if (ids.size >= entriesMax) {
        const oldest = ids.keys().next();
        if (oldest.done !== true) ids.delete(oldest.value);
      }
      ids.set(key, accountId);
    },
  };
}
