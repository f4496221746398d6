import postgres, { type Sql } from 'postgres';
import { expect } from 'vitest';
import { pgSchemaName, publishPlanV1 } from '@strongbox/shared-contracts';
import { createDatabase, dropSchema, migrate, type Database, type DbExecutor } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { CommandError } from '@strongbox/shared-messaging';
import { TEST_DATABASE_URL, uniqueNamespace } from '@strongbox/shared-testing';
import {
  AccountKinds,
  createTransfers,
  ensureSystemAccounts,
  getUserAccounts,
  ledgerMigrationsFolder,
  ledgerTables,
  openUserAccounts,
  systemAccountId,
  TransferCodes,
} from '@strongbox/ledger-data-access';
import { createPlanOperations, type PlanOperations } from '../../src/index';

// Shared plumbing of the plan tests: a migrated random schema on the loopback PostgreSQL per test
// file (dropped afterwards), a clock the test moves by hand, the plan operations on that clock,
// funded users, balances, and assertions on command error codes.

export const ASSET = 'USDT';

export interface PlanTestContext {
  readonly namespace: string;
  readonly database: Database<typeof ledgerTables>;
  /** A raw postgres.js pool on the same schema, for SQL the ledger never issues. */
  readonly sql: Sql;
  readonly clock: { now: Date };
  readonly plans: PlanOperations;
  dispose(): Promise<void>;
}

const MIGRATION_LOCK_TIMEOUT_MS = 10_000;

/** Migrates a fresh schema (`<random namespace>_ledger`) and builds the plan operations on a hand-moved clock. */
export async function freshPlans(options: { poolSizeMax?: number; start?: Date } = {}): Promise<PlanTestContext> {
  const namespace = uniqueNamespace('pl');
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
    ledgerTables,
  );
  const sql = postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 5, onnotice: () => undefined, connection: { search_path: schema } });
  const clock = { now: options.start ?? new Date('2030-01-01T10:00:00Z') };
  await database.db.transaction((tx) => ensureSystemAccounts(tx, [ASSET]));
  return {
    namespace,
    database,
    sql,
    clock,
    plans: createPlanOperations({ database, namespace, assets: [ASSET], now: () => clock.now }),
    async dispose() {
      await sql.end({ timeout: 5 });
      await database.close(5_000);
      await dropSchema(TEST_DATABASE_URL, schema);
    },
  };
}

/** Runs `work` in a read-committed transaction, as the ledger service does. */
export function inTx<T>(context: PlanTestContext, work: (tx: DbExecutor) => Promise<T>): Promise<T> {
  return context.database.db.transaction(work, { isolationLevel: 'read committed' });
}

/** Opens a new user's accounts and credits `funds` to the available one as a chain deposit. */
export async function fundedUser(context: PlanTestContext, funds: bigint): Promise<string> {
  const userId = newId();
  await inTx(context, (tx) => openUserAccounts(tx, { namespace: context.namespace, userId, assets: [ASSET], causationId: newId() }));
  if (funds > 0n) await credit(context, userId, funds);
  return userId;
}

/** Credits `amount` to the user's available account as a chain deposit. */
export async function credit(context: PlanTestContext, userId: string, amount: bigint): Promise<void> {
  await inTx(context, async (tx) => {
    const available = (await getUserAccounts(tx, userId, ASSET)).find((account) => account.kind === AccountKinds.userAvailable);
    if (!available) throw new Error(`user ${userId} has no ${ASSET} account`);
    await createTransfers(tx, {
      namespace: context.namespace,
      transfers: [
        { id: newId(), debitAccountId: await systemAccountId(tx, ASSET, AccountKinds.depositsClearing), creditAccountId: available.id, amount, code: TransferCodes.deposit },
      ],
    });
  });
}

/** The user's available and locked balances (posted credits − posted and pending debits). */
export async function balances(context: PlanTestContext, userId: string): Promise<{ available: bigint; locked: bigint }> {
  const accounts = await inTx(context, (tx) => getUserAccounts(tx, userId, ASSET));
  const of = (kind: string) => accounts.find((account) => account.kind === kind)?.available ?? 0n;
  return { available: of(AccountKinds.userAvailable), locked: of(AccountKinds.userLocked) };
}

/** The admin the plan tests publish as, unless a test names another. */
export const TEST_ADMIN_ID = '0190a000-0000-7000-8000-00000000ad01';

/** Publishes a plan version with sensible defaults for the terms not given. */
export function publish(
  context: PlanTestContext,
  plan: { code: string; version?: number; rateBps?: number; termDays?: number; minAmount?: string; maxAmount?: string; adminId?: string },
) {
  return context.plans.publishPlan(
    publishPlanV1.request.parse({
      adminId: TEST_ADMIN_ID,
      version: 1,
      asset: ASSET,
      rateBps: 450,
      termDays: 30,
      minAmount: '1000000',
      maxAmount: '1000000000000',
      ...plan,
    }),
  );
}

/** Awaits `promise` and asserts it rejects with a CommandError of `code`; returns the error. */
export async function expectCommandError(promise: Promise<unknown>, code: string): Promise<CommandError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(CommandError);
  expect((error as CommandError).code, (error as CommandError).message).toBe(code);
  return error as CommandError;
}

/** Outbox events of the schema of one type, oldest first. */
export async function outboxEventsOfType(context: PlanTestContext, type: string): Promise<Array<{ subject: string; data: Record<string, unknown> }>> {
  const rows = await context.sql<Array<{ event: { subject: string; data: Record<string, unknown> } }>>`
    select event from outbox where event->>'type' = ${type} order by seq`;
  return rows.map((row) => ({ subject: row.event.subject, data: row.event.data }));
}

/** Milliseconds in a day, for moving the clock. */
export const DAY_MS = 86_400_000;
