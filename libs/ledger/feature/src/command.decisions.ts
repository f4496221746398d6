import { sql } from 'drizzle-orm';
import { LedgerCommandErrors } from '@strongbox/shared-contracts';
import { DbError, DbErrorCodes, type DbExecutor } from '@strongbox/shared-db';
import { AccountKinds, LedgerError, LedgerErrorCodes, type AccountBalance } from '@strongbox/ledger-data-access';
import { CommandError } from '@strongbox/shared-messaging';

// ---------------------------------------------------------------------------------------------
// How the ledger's command operations turn outcomes into answers. A money command runs once per
// idempotency key, and a business refusal is stored as its answer like a success, so a retry gets
// the same refusal; an infrastructure failure rolls everything back so the caller may retry.
// ---------------------------------------------------------------------------------------------

/** A decision about the request (a limit, an unknown withdrawal, a disabled plan): stored with the key, answered as not retryable. */
export class Refusal extends Error {
  override readonly name = 'Refusal';

  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** What a command stored as its answer: the wire result, or the refusal. */
export type StoredAnswer<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly details: Record<string, string> } };

/**
 * Runs `work` behind a savepoint: a LedgerError or Refusal rolls back only what `work` did and comes
 * back as a stored refusal; anything else (a lost connection) propagates and rolls everything back.
 *
 * The savepoint goes to PostgreSQL together with the first statement of `work` (it is sent first,
 * and PostgreSQL runs statements in order), and it is not released on success: the commit ends it,
 * and a later `decide` in the same transaction opens a newer one of the same name, which is the one
 * its rollback returns to. Both save a round trip on every command.
 */
export async function decide<T>(tx: DbExecutor, work: () => Promise<T>): Promise<StoredAnswer<T>> {
  const savepoint = tx.execute(sql`savepoint ledger_decision`).execute();
  try {
    const [, result] = await Promise.all([savepoint, work()]);
    return { ok: true, result };
  } catch (error) {
    if (error instanceof LedgerError || error instanceof Refusal) {
      await tx.execute(sql`rollback to savepoint ledger_decision`);
      return { ok: false, error: { code: error.code, message: error.message, details: { ...error.details } } };
    }
    throw error;
  }
}

/** Turns a stored answer into the reply: the result, or a CommandError that is not retryable. */
export function answer<T>(stored: StoredAnswer<T>): T {
  if (stored.ok) return stored.result;
  throw new CommandError(stored.error.code, stored.error.message, { retryable: false, details: stored.error.details });
}

/** A refusal of a command that keeps no idempotency key (a read, an account operation): not retryable. */
export function asCommandError(error: unknown): never {
  if (error instanceof LedgerError || error instanceof Refusal) {
    throw new CommandError(error.code, error.message, { retryable: false, details: { ...error.details } });
  }
  throw error;
}

/** Maps the idempotency layer's own refusals to the ledger's command errors. */
export function idempotencyError(error: unknown): never {
  if (error instanceof DbError && error.code === DbErrorCodes.idempotencyConflict) {
    throw new CommandError(LedgerCommandErrors.idempotencyConflict, 'this idempotency key was used with a different request', { retryable: false });
  }
  if (error instanceof DbError && error.code === DbErrorCodes.idempotencyInProgress) {
    throw new CommandError(LedgerCommandErrors.inProgress, 'a request with this idempotency key is still running; retry shortly', { retryable: true });
  }
  throw error;
}

/** A user's balance in one asset as it travels: available, held for withdrawals, locked in plans. */
export function balanceOf(accounts: readonly AccountBalance[], userId: string, asset: string) {
  const available = accounts.find((account) => account.kind === AccountKinds.userAvailable && account.asset === asset);
  const locked = accounts.find((account) => account.kind === AccountKinds.userLocked && account.asset === asset);
  if (!available) throw new Refusal(LedgerErrorCodes.accountNotFound, `user ${userId} has no ${asset} account`, { userId, asset });
  return {
    accountId: available.id,
    asset,
    available: available.available.toString(),
    pendingOut: available.debitsPending.toString(),
    locked: locked ? (locked.creditsPosted - locked.debitsPosted).toString() : '0',
  };
}
