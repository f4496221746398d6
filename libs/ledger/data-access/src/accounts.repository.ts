import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { accountOpenedV1, eventSubject } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { enqueueEvents, type DbExecutor } from '@strongbox/shared-db';
import { LedgerError, LedgerErrorCodes, LedgerInvariantError } from './errors';
import {
  AccountKinds,
  accountsTable,
  SYSTEM_ACCOUNT_KINDS,
  USER_ACCOUNT_KINDS,
  type AccountRow,
  type SystemAccountKind,
} from './ledger.schema';
import { isUuid } from './transfers.validation';

// ---------------------------------------------------------------------------------------------
// Accounts: opening user and system accounts, reading balances.
// ---------------------------------------------------------------------------------------------

/** Most assets one call opens accounts in (matches the `account opened` event's limit). */
export const ASSETS_PER_CALL_MAX = 32;
/** Most accounts one `getAccounts` call reads. */
export const ACCOUNTS_PER_READ_MAX = 200;

const ASSET_CODE_PATTERN = /^[A-Z][A-Z0-9]{1,11}$/;

/** An account with its totals and what it can still spend. */
export interface AccountBalance extends AccountRow {
  /**
   * credits_posted - debits_posted - debits_pending: what a debit may still take from the account.
   * Never negative for a user account (the database refuses it); a system account may show any sign.
   */
  readonly available: bigint;
}

function invalidArgument(message: string, details: Record<string, string> = {}): LedgerError {
  return new LedgerError(LedgerErrorCodes.invalidArgument, message, details);
}

function checkAssets(assets: readonly string[]): string[] {
  if (!Array.isArray(assets) || assets.length === 0) throw invalidArgument('at least one asset is required');
  if (assets.length > ASSETS_PER_CALL_MAX) {
    throw new LedgerError(LedgerErrorCodes.limit, `${assets.length} assets in one call; at most ${ASSETS_PER_CALL_MAX}`);
  }
  for (const asset of assets) {
    if (typeof asset !== 'string' || !ASSET_CODE_PATTERN.test(asset)) {
      throw invalidArgument(`asset ${JSON.stringify(String(asset)).slice(0, 40)} must match ${ASSET_CODE_PATTERN.source}`);
    }
  }
  return [...new Set(assets)];
}

function checkUuid(what: string, value: unknown): string {
  if (!isUuid(value)) throw invalidArgument(`${what} must be a lower-case UUID`, { [what]: String(value).slice(0, 64) });
  return value;
}

/**
 * User ids arrive in events from another service, whose schema accepts either case; PostgreSQL
 * stores a uuid the same whatever the case, so the id is compared in its canonical lower case.
 */
function checkUserId(value: unknown): string {
  return checkUuid('userId', typeof value === 'string' ? value.toLowerCase() : value);
}

/** True for the kinds a user owns. */
export function isUserAccountKind(kind: string): boolean {
  return (USER_ACCOUNT_KINDS as readonly string[]).includes(kind);
}

/**
 * What a debit may still take from an account: credits_posted - debits_posted - debits_pending.
 * For a user account a negative value is a broken invariant and throws LedgerInvariantError.
 */
export function availableOf(account: AccountRow): bigint {
  const available = account.creditsPosted - account.debitsPosted - account.debitsPending;
  if (available < 0n && account.debitsMustNotExceedCredits) {
    throw new LedgerInvariantError(`account ${account.id} (${account.kind}) has available ${available} < 0 despite its limit`);
  }
  return available;
}

function withAvailable(account: AccountRow): AccountBalance {
  return { ...account, available: availableOf(account) };
}

/**
 * Opens a user's `user_available` and `user_locked` accounts in each asset, in the caller's
 * transaction; both carry `debits_must_not_exceed_credits`, so neither can go below zero. Puts
 * `ledger.evt.account.opened.v1` (listing the new available accounts) into the outbox when at least
 * one available account is new. Opening again changes nothing and publishes nothing (unique index on
 * user, asset, kind); a user opened before locked accounts existed gets them now, without a new event.
 */
export async function openUserAccounts(
  tx: DbExecutor,
  input: { namespace: string; userId: string; assets: readonly string[]; causationId: string },
): Promise<{ opened: AccountRow[] }> {
  const userId = checkUserId(input.userId);
  const assets = checkAssets(input.assets);
  const now = new Date();
  const opened = await tx
    .insert(accountsTable)
    .values(
      assets.flatMap((asset) =>
        USER_ACCOUNT_KINDS.map((kind) => ({ id: newId(), userId, asset, kind, debitsMustNotExceedCredits: true, createdAt: now })),
      ),
    )
    .onConflictDoNothing({ target: [accountsTable.userId, accountsTable.asset, accountsTable.kind] })
    .returning();
  const openedAvailable = opened.filter((account) => account.kind === AccountKinds.userAvailable);
  if (openedAvailable.length > 0) {
    const event = accountOpenedV1.create({
      source: 'strongbox/ledger',
      subject: userId,
      time: now,
      data: {
        userId,
        accounts: openedAvailable.map((account) => ({ accountId: account.id, asset: account.asset })),
        openedAt: now.toISOString(),
      },
    });
    await enqueueEvents(tx, [{ subject: eventSubject(input.namespace, event.type), event, headers: { 'Strongbox-Causation-Id': input.causationId } }]);
  }
  return { opened };
}

/** The user's accounts, oldest first. */
export async function listUserAccounts(tx: DbExecutor, userId: string): Promise<AccountRow[]> {
  const id = checkUserId(userId);
  return tx.select().from(accountsTable).where(eq(accountsTable.userId, id)).orderBy(accountsTable.createdAt, accountsTable.id);
}

/**
 * Opens every system account (one per kind) in each asset that lacks it and returns all system
 * accounts of those assets. Safe to call at every start-up and concurrently (unique index on asset
 * and kind among accounts without a user).
 *
 * @example
 * await database.db.transaction((tx) => ensureSystemAccounts(tx, ['USDT']), { isolationLevel: 'read committed' });
 */
export async function ensureSystemAccounts(tx: DbExecutor, assets: readonly string[]): Promise<AccountRow[]> {
  const checked = checkAssets(assets);
  const now = new Date();
  await tx
    .insert(accountsTable)
    .values(checked.flatMap((asset) => SYSTEM_ACCOUNT_KINDS.map((kind) => ({ id: newId(), userId: null, asset, kind, createdAt: now }))))
    .onConflictDoNothing({ target: [accountsTable.asset, accountsTable.kind], where: sql`user_id is null` });
  return tx
    .select()
    .from(accountsTable)
    .where(and(isNull(accountsTable.userId), inArray(accountsTable.asset, checked)))
    .orderBy(asc(accountsTable.asset), asc(accountsTable.kind));
}

/** The id of the system account of `kind` in `asset`; LEDGER_ERR_ACCOUNT_NOT_FOUND until `ensureSystemAccounts` opened it. */
export async function systemAccountId(tx: DbExecutor, asset: string, kind: SystemAccountKind): Promise<string> {
  checkAssets([asset]);
  if (!(SYSTEM_ACCOUNT_KINDS as readonly string[]).includes(kind)) {
    throw invalidArgument(`kind ${JSON.stringify(String(kind)).slice(0, 40)} is not a system account kind`);
  }
  const rows = await tx
    .select({ id: accountsTable.id })
    .from(accountsTable)
    .where(and(isNull(accountsTable.userId), eq(accountsTable.asset, asset), eq(accountsTable.kind, kind)));
  const row = rows[0];
  if (row === undefined) {
    throw new LedgerError(LedgerErrorCodes.accountNotFound, `no ${kind} system account in ${asset}`, { asset, kind });
  }
  return row.id;
}

/**
 * The accounts with these ids and their balances, in the order of `ids`; ids that name no account
 * are left out (compare lengths to detect them). At most ACCOUNTS_PER_READ_MAX ids.
 */
export async function getAccounts(tx: DbExecutor, ids: readonly string[]): Promise<AccountBalance[]> {
  if (!Array.isArray(ids)) throw invalidArgument('ids must be an array');
  if (ids.length > ACCOUNTS_PER_READ_MAX) {
    throw new LedgerError(LedgerErrorCodes.limit, `${ids.length} account ids in one read; at most ${ACCOUNTS_PER_READ_MAX}`);
  }
  if (ids.length === 0) return [];
  for (const id of ids) checkUuid('accountId', id);
  const rows = await tx.select().from(accountsTable).where(inArray(accountsTable.id, [...new Set(ids)]));
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row === undefined ? [] : [withAvailable(row)];
  });
}

/** A user's accounts with balances, by asset then kind; only those of `asset` when given. */
export async function getUserAccounts(tx: DbExecutor, userId: string, asset?: string): Promise<AccountBalance[]> {
  const id = checkUserId(userId);
  if (asset !== undefined) checkAssets([asset]);
  const rows = await tx
    .select()
    .from(accountsTable)
    .where(and(eq(accountsTable.userId, id), asset === undefined ? undefined : eq(accountsTable.asset, asset)))
    .orderBy(asc(accountsTable.asset), asc(accountsTable.kind));
  return rows.map(withAvailable);
}
