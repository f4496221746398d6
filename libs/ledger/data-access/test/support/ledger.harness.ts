import postgres, { type Sql } from 'postgres';
import { expect } from 'vitest';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { createDatabase, dropSchema, migrate, type Database, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { TEST_DATABASE_URL, uniqueNamespace } from '@strongbox/shared-testing';
import {
  AccountKinds,
  createTransfers,
  ensureSystemAccounts,
  LedgerError,
  ledgerMigrationsFolder,
  ledgerSchema,
  openUserAccounts,
  systemAccountId,
  TransferCodes,
  type LedgerErrorCode,
  type PostedTransfer,
  type SystemAccountKind,
  type TransferInput,
} from '../../src/index';

// Shared plumbing of the ledger's integration tests: a migrated random schema on the loopback
// PostgreSQL per test file (dropped afterwards), transactions at the isolation level the service
// uses, users with funded accounts, and assertions on LedgerError codes.

export type LedgerDatabase = Database<typeof ledgerSchema>;

export interface LedgerTestContext {
  readonly namespace: string;
  readonly database: LedgerDatabase;
  /** A raw postgres.js pool on the same schema, for SQL the engine never issues. */
  readonly sql: Sql;
  dispose(): Promise<void>;
}

const MIGRATION_LOCK_TIMEOUT_MS = 10_000;

/** Migrates a fresh schema (`<random namespace>_ledger`) and opens a pool of `poolSizeMax` connections on it. */
export async function freshLedger(options: { poolSizeMax?: number } = {}): Promise<LedgerTestContext> {
  const namespace = uniqueNamespace('lg');
  const schema = pgSchemaName(namespace, 'ledger');
  await migrate({ url: TEST_DATABASE_URL, schema, migrationsFolder: ledgerMigrationsFolder, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });
  const database = createDatabase(
    {
      url: TEST_DATABASE_URL,
      schema,
      applicationName: `${schema}-test`,
      poolSizeMax: options.poolSizeMax ?? 4,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 20_000,
    },
    ledgerSchema,
  );
  const sql = postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 5, onnotice: () => undefined, connection: { search_path: schema } });
  return {
    namespace,
    database,
    sql,
    async dispose() {
      await sql.end({ timeout: 5 });
      await database.close(5_000);
      await dropSchema(TEST_DATABASE_URL, schema);
    },
  };
}

/** Runs `work` in a read-committed transaction, as the ledger service does. */
export function inTx<T>(context: LedgerTestContext, work: (tx: DbExecutor) => Promise<T>): Promise<T> {
  return context.database.db.transaction(work, { isolationLevel: 'read committed' });
}

/** Creates transfers in their own transaction. */
export function transfer(context: LedgerTestContext, transfers: readonly TransferInput[], now?: Date): Promise<PostedTransfer[]> {
  return inTx(context, (tx) => createTransfers(tx, { namespace: context.namespace, transfers, ...(now === undefined ? {} : { now }) }));
}

export interface TestUser {
  readonly userId: string;
  readonly available: string;
  readonly locked: string;
}

/** Opens a new user's accounts in `asset` (and the asset's system accounts). */
export async function openUser(context: LedgerTestContext, asset = 'USDT'): Promise<TestUser> {
  const userId = newId();
  const { opened } = await inTx(context, async (tx) => {
    await ensureSystemAccounts(tx, [asset]);
    return openUserAccounts(tx, { namespace: context.namespace, userId, assets: [asset], causationId: newId() });
  });
  const available = opened.find((account) => account.kind === AccountKinds.userAvailable);
  const locked = opened.find((account) => account.kind === AccountKinds.userLocked);
  if (available === undefined || locked === undefined) throw new Error('openUserAccounts did not open both accounts');
  return { userId, available: available.id, locked: locked.id };
}

/** The system account of `kind` in `asset`. */
export function systemAccount(context: LedgerTestContext, asset: string, kind: SystemAccountKind): Promise<string> {
  return inTx(context, (tx) => systemAccountId(tx, asset, kind));
}

/** Credits `amount` to `accountId` as a chain deposit. */
export async function deposit(context: LedgerTestContext, accountId: string, amount: bigint, asset = 'USDT'): Promise<PostedTransfer> {
  const clearing = await systemAccount(context, asset, AccountKinds.depositsClearing);
  const [posted] = await transfer(context, [{ id: newId(), debitAccountId: clearing, creditAccountId: accountId, amount, code: TransferCodes.deposit }]);
  return posted!;
}

/** Awaits `promise` and asserts it rejects with a LedgerError of `code`; returns the error. */
export async function expectLedgerError(promise: Promise<unknown>, code: LedgerErrorCode): Promise<LedgerError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(LedgerError);
  expect((error as LedgerError).code, (error as LedgerError).message).toBe(code);
  return error as LedgerError;
}

/** Outbox rows of the schema, oldest first, as `{ type, subject, data }`. */
export async function outboxEvents(context: LedgerTestContext): Promise<Array<{ type: string; subject: string; data: Record<string, unknown> }>> {
  const rows = await context.sql<Array<{ event: { type: string; subject: string; data: Record<string, unknown> } }>>`select event from outbox order by seq`;
  return rows.map((row) => ({ type: row.event.type, subject: row.event.subject, data: row.event.data }));
}

/** Count of rows in `table` of the schema. */
export async function countRows(context: LedgerTestContext, table: 'transfers' | 'accounts' | 'outbox'): Promise<number> {
  const rows = await context.sql<Array<{ count: string }>>`select count(*)::text as count from ${context.sql(table)}`;
  return Number(rows[0]!.count);
}
