import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import postgres, { type Sql } from 'postgres';
import { pgSchemaName } from '@strongbox/shared-contracts';
import { dropSchema, migrate } from '@strongbox/shared-db';
import { newId } from '@strongbox/shared-domain';
import { uniqueNamespace } from '@strongbox/shared-testing';

// ---------------------------------------------------------------------------------------------
// The ledger's data for the benchmark: a fresh namespace, the ledger schema migrated into it,
// N users with their accounts, each funded by one deposit transfer. Set up with bulk SQL (the
// command path would take minutes for 10,000 users), but with the rows the ledger itself writes:
// every balance equals the sum of its transfers, so the ledger's reconciliation stays quiet.
// ---------------------------------------------------------------------------------------------

/** The one asset the benchmark moves; the ledger's default `LEDGER_ASSETS`. */
export const BENCH_ASSET = 'USDT';

/**
 * The ledger's system account kinds, written here because a tool may not import the ledger's libs.
 * Should the list grow, the service opens the missing ones itself at start (ensureSystemAccounts).
 */
const SYSTEM_ACCOUNT_KINDS = [
  'deposits_clearing',
  'withdrawals_in_flight',
  'fees',
  'plan_interest_expense',
  'referral_expense',
  'manual_adjustments',
  'negative_exposure',
] as const;
const USER_ACCOUNT_KINDS = ['user_available', 'user_locked'] as const;

/** Users inserted per statement (two account rows each, seven parameters per row). */
const USERS_PER_INSERT_MAX = 1_000;
const MIGRATION_LOCK_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_S = 5;

/** A user as a transfer sees it: who (for the command) and which account (for the SQL). */
export interface BenchUser {
  readonly userId: string;
  /** The user's `user_available` account. */
  readonly accountId: string;
}

export interface LedgerFixture {
  readonly namespace: string;
  /** `<namespace>_ledger`. */
  readonly schema: string;
  readonly users: readonly BenchUser[];
  /** A small pool on the schema for setup, checks and cleanup (not used by the measured paths). */
  readonly sql: Sql;
}

export interface LedgerFixtureOptions {
  readonly databaseUrl: string;
  /** The migrations the service under test applies (`dist/apps/ledger/migrations`). */
  readonly migrationsFolder: string;
  readonly userCount: number;
  /** What every user is funded with, in minor units: enough that no measured transfer is refused. */
  readonly fundingMinor: bigint;
}

/** A postgres.js pool whose `search_path` is the ledger's schema alone, as the service's own. */
export function openSchemaPool(databaseUrl: string, schema: string, max: number, applicationName: string): Sql {
  return postgres(databaseUrl, {
    max,
    connect_timeout: 10,
    onnotice: () => undefined,
    connection: { application_name: applicationName, search_path: schema, statement_timeout: 60_000 },
  });
}

/**
 * Creates the namespace's ledger schema and its users. Returns once the data is committed and
 * analysed, so the planner sees 10,000 users and not an empty table.
 */
export async function createLedgerFixture(options: LedgerFixtureOptions): Promise<LedgerFixture> {
  const namespace = uniqueNamespace('bench');
  const schema = pgSchemaName(namespace, 'ledger');
  const sql = openSchemaPool(options.databaseUrl, schema, 2, `${namespace}-bench-setup`);
  try {
    // Inside the try: a migration that fails may leave the schema behind, created but empty.
    await migrate({ url: options.databaseUrl, schema, migrationsFolder: options.migrationsFolder, lockTimeoutMs: MIGRATION_LOCK_TIMEOUT_MS });
    const users = await insertUsers(sql, options.userCount, options.fundingMinor);
    // Outside a transaction: VACUUM refuses to run inside one.
    await sql`vacuum analyze accounts, transfers, outbox, idempotency_keys`;
    return { namespace, schema, users, sql };
  } catch (error) {
    await sql.end({ timeout: CLOSE_TIMEOUT_S }).catch(() => undefined);
    await dropSchema(options.databaseUrl, schema).catch(() => undefined);
    throw error;
  }
}

async function insertUsers(sql: Sql, userCount: number, fundingMinor: bigint): Promise<BenchUser[]> {
  const now = new Date();
  const users: BenchUser[] = Array.from({ length: userCount }, () => ({ userId: newId(), accountId: newId() }));
  await sql.begin('isolation level read committed', async (tx) => {
    const systemRows = SYSTEM_ACCOUNT_KINDS.map((kind) => ({ id: newId(), user_id: null, asset: BENCH_ASSET, kind, debits_must_not_exceed_credits: false, created_at: now }));
    await tx`insert into accounts ${tx(systemRows)} on conflict do nothing`;
    const [clearing] = await tx<Array<{ id: string }>>`select id from accounts where user_id is null and asset = ${BENCH_ASSET} and kind = 'deposits_clearing'`;
    if (clearing === undefined) throw new Error('the deposits clearing account is missing after it was inserted');

    for (let start = 0; start < users.length; start += USERS_PER_INSERT_MAX) {
      const rows = users.slice(start, start + USERS_PER_INSERT_MAX).flatMap((user) =>
        USER_ACCOUNT_KINDS.map((kind) => ({
          id: kind === 'user_available' ? user.accountId : newId(),
          user_id: user.userId,
          asset: BENCH_ASSET,
          kind,
          debits_must_not_exceed_credits: true,
          created_at: now,
        })),
      );
      await tx`insert into accounts ${tx(rows)}`;
    }

    // One deposit per user from the clearing account, and the totals that follow from them.
    const funding = fundingMinor.toString();
    await tx`
      insert into transfers (id, debit_account_id, credit_account_id, amount, asset, code, kind, pending, batch_id, reference, metadata, created_at)
      select gen_random_uuid(), ${clearing.id}, a.id, ${funding}::numeric, ${BENCH_ASSET}, 'deposit', 'single', false, gen_random_uuid(), 'bench-funding', '{}'::jsonb, ${now}
      from accounts a where a.kind = 'user_available'`;
    await tx`update accounts set credits_posted = credits_posted + ${funding}::numeric where kind = 'user_available'`;
    await tx`update accounts set debits_posted = debits_posted + ${funding}::numeric * ${userCount} where id = ${clearing.id}`;
  });
  return users;
}

/**
 * Marks every pending outbox row published. The raw SQL path writes outbox rows no relay reads;
 * without this the service's relay would publish that backlog while the service is being measured.
 */
export async function discardPendingOutbox(sql: Sql): Promise<number> {
  const result = await sql`update outbox set published_at = now() where published_at is null`;
  return result.count;
}

/** Drops the schema and deletes the namespace's streams and KV buckets. Best effort: reports what failed. */
export async function dropLedgerFixture(fixture: LedgerFixture, databaseUrl: string, natsUrl: string): Promise<string[]> {
  const problems: string[] = [];
  await fixture.sql.end({ timeout: CLOSE_TIMEOUT_S }).catch((error: unknown) => problems.push(`closing the setup pool: ${String(error)}`));
  await dropSchema(databaseUrl, fixture.schema).catch((error: unknown) => problems.push(`dropping schema ${fixture.schema}: ${String(error)}`));
  try {
    await deleteNamespaceStreams(fixture.namespace, natsUrl);
  } catch (error) {
    problems.push(`deleting the streams of ${fixture.namespace}: ${String(error)}`);
  }
  return problems;
}

/** Deletes `<NAMESPACE>_*` streams and the `KV_<namespace>_*` streams behind its KV buckets. */
async function deleteNamespaceStreams(namespace: string, natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5_000 });
    const streamPrefix = `${namespace.toUpperCase()}_`;
    // A KV bucket `<namespace>_<base>` (kvBucketName) lives in the stream `KV_<namespace>_<base>`.
    const kvPrefix = `KV_${namespace}_`;
    const doomed: string[] = [];
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(streamPrefix) || name.startsWith(kvPrefix)) doomed.push(name);
    }
    for (const name of doomed) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}
