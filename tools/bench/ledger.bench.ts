import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { transferV1 } from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { createCommandClient } from '@strongbox/shared-messaging';
import { createServiceProcess, waitUntilReady, type ServiceProcess } from '@strongbox/shared-stack';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL } from '@strongbox/shared-testing';
import { buildService } from './build-service';
import { ledgerBuildPaths, ledgerBuildStaleness } from './ledger.build';
import { BENCH_ASSET, createLedgerFixture, discardPendingOutbox, dropLedgerFixture, openSchemaPool, type BenchUser, type LedgerFixture } from './ledger.fixture';
import { rawSqlTransfer, type TransferOrder } from './ledger.raw-sql';
import { runLoad, type LoadResult } from './load';

// ---------------------------------------------------------------------------------------------
// `npm run bench -- ledger`: the same transfer as raw SQL straight against PostgreSQL and as a
// `transfer` command through the ledger service over NATS, at several client counts, over uniform
// random pairs of users and with one hot user in every transfer. Prints a table, then one JSON
// line with the figures (see README.md). Progress goes to stderr, results to stdout.
// ---------------------------------------------------------------------------------------------

const Paths = { rawSql: 'raw_sql', service: 'service' } as const;
type PathName = (typeof Paths)[keyof typeof Paths];
const Loads = { uniform: 'uniform', hot: 'hot' } as const;
type LoadName = (typeof Loads)[keyof typeof Loads];

/** Every user starts with 10^15 minor units; a measured transfer moves at most TRANSFER_AMOUNT_MAX. */
const FUNDING_MINOR = 10n ** 15n;
const TRANSFER_AMOUNT_MAX = 1_000_000;
const CLIENTS_MAX = 256;
const USERS_MIN = 2;
const USERS_MAX = 1_000_000;
const DURATION_MS_MAX = 10 * 60_000;
const SERVICE_READY_TIMEOUT_MS = 60_000;
const SERVICE_STOP_GRACE_MS = 15_000;
const COMMAND_TIMEOUT_MS = 10_000;
/** How long the relay may take to publish what a run left in the outbox before the next run starts. */
const OUTBOX_DRAIN_TIMEOUT_MS = 120_000;
const OUTBOX_DRAIN_POLL_MS = 100;

export interface LedgerBenchOptions {
  readonly clients: readonly number[];
  readonly hotClients: number;
  readonly users: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** DATABASE_POOL_SIZE_MAX of the service; its own default when undefined. */
  readonly servicePoolSize: number | undefined;
  readonly build: boolean;
  readonly databaseUrl: string;
  readonly natsUrl: string;
}

interface RunRow {
  readonly path: PathName;
  readonly load: LoadName;
  readonly result: LoadResult;
  /** Outbox rows the relay had not yet published when the run ended (service path only). */
  readonly outboxBacklog?: number;
  /** How long the relay then took to publish them. */
  readonly drainMs?: number;
}

const log = (message: string): void => {
  process.stderr.write(`[bench ledger] ${message}\n`);
};

/** Parses the bench's own arguments (after `ledger`); throws with every problem named. */
export function parseLedgerBenchArgs(argv: readonly string[]): LedgerBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      clients: { type: 'string', default: '1,8,32' },
      'hot-clients': { type: 'string', default: '32' },
      users: { type: 'string', default: '10000' },
      'warmup-ms': { type: 'string', default: '1000' },
      'duration-ms': { type: 'string', default: '5000' },
      'service-pool': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const problems: string[] = [];
  const integer = (name: string, text: string, min: number, max: number): number => {
    const value = /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
    return value;
  };
  const clients = values.clients.split(',').map((part) => integer('clients', part.trim(), 1, CLIENTS_MAX));
  const options: LedgerBenchOptions = {
    clients: [...new Set(clients)].sort((a, b) => a - b),
    hotClients: integer('hot-clients', values['hot-clients'], 1, CLIENTS_MAX),
    users: integer('users', values.users, USERS_MIN, USERS_MAX),
    warmupMs: integer('warmup-ms', values['warmup-ms'], 0, DURATION_MS_MAX),
    durationMs: integer('duration-ms', values['duration-ms'], 100, DURATION_MS_MAX),
    servicePoolSize: values['service-pool'] === undefined ? undefined : integer('service-pool', values['service-pool'], 1, 100),
    build: !values['no-build'],
    databaseUrl: TEST_DATABASE_URL,
    natsUrl: TEST_NATS_URL,
  };
  if (problems.length > 0) throw new Error(`invalid arguments:\n  ${problems.join('\n  ')}`);
  return options;
}

/** Runs the whole benchmark and prints its results; cleans up whatever it created, also on failure or Ctrl-C. */
export async function runLedgerBench(root: string, options: LedgerBenchOptions): Promise<void> {
  const { migrationsFolder, distDir } = ledgerBuildPaths(root);
  const stale = ledgerBuildStaleness(root);
  if (stale !== undefined) {
    if (!options.build) throw new Error(`the ledger bundle is not current (${stale}); run without --no-build`);
    log(`building the ledger (${stale})`);
    await buildService(root, 'ledger');
  }

  let fixture: LedgerFixture | undefined;
  let service: ServiceProcess | undefined;
  let nc: NatsConnection | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      if (service !== undefined) {
        log('stopping the service');
        const exit = await service.stop(SERVICE_STOP_GRACE_MS);
        if (exit.code !== 0) log(`the service exited with code ${exit.code}, signal ${exit.signal}\n${service.logs().slice(-20).join('\n')}`);
      }
      await nc?.close().catch(() => undefined);
      if (fixture !== undefined) {
        log(`dropping schema ${fixture.schema} and the streams of ${fixture.namespace}`);
        for (const problem of await dropLedgerFixture(fixture, options.databaseUrl, options.natsUrl)) log(`cleanup: ${problem}`);
      }
    })());
  const onSignal = (): void => {
    log('interrupted; cleaning up');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    log(`setting up ${options.users} users`);
    const setupStartedAt = performance.now();
    fixture = await createLedgerFixture({ databaseUrl: options.databaseUrl, migrationsFolder, userCount: options.users, fundingMinor: FUNDING_MINOR });
    log(`namespace ${fixture.namespace} ready in ${Math.round(performance.now() - setupStartedAt)} ms`);
    const rows: RunRow[] = [];
    const plan = runPlan(options);

    // Raw SQL first, with no service running, so nothing else competes for PostgreSQL.
    for (const { load, clients } of plan) {
      const pool = openSchemaPool(options.databaseUrl, fixture.schema, clients, `${fixture.namespace}-bench-raw`);
      try {
        const transfer = rawSqlTransfer(pool, fixture.namespace);
        const result = await measure(options, clients, load, fixture.users, (order) => transfer(order));
        rows.push({ path: Paths.rawSql, load, result });
        log(describeRun(rows.at(-1) as RunRow));
      } finally {
        await pool.end({ timeout: 5 });
      }
    }
    const discarded = await discardPendingOutbox(fixture.sql);
    await fixture.sql`vacuum analyze accounts, transfers, outbox, idempotency_keys`;
    log(`raw SQL outbox rows set aside: ${discarded}`);

    log('starting the ledger service');
    service = createServiceProcess({
      name: 'ledger',
      distDir,
      opsPort: await freePort(),
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        STRONGBOX_NAMESPACE: fixture.namespace,
        LOG_LEVEL: 'info',
        NATS_URL: options.natsUrl,
        DATABASE_URL: options.databaseUrl,
        ...(options.servicePoolSize === undefined ? {} : { DATABASE_POOL_SIZE_MAX: String(options.servicePoolSize) }),
        // `--cpu-prof --cpu-prof-dir=<dir>` here profiles the service (written when it stops).
        ...(process.env['LEDGER_BENCH_SERVICE_NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['LEDGER_BENCH_SERVICE_NODE_OPTIONS'] } : {}),
      },
    });
    service.start();
    log(`service ready in ${await waitUntilReady(service, SERVICE_READY_TIMEOUT_MS)} ms`);
    nc = await connect({ servers: options.natsUrl, name: `${fixture.namespace}-bench`, timeout: 5_000 });
    const client = createCommandClient(nc, { namespace: fixture.namespace, timeoutMs: COMMAND_TIMEOUT_MS });
    const serviceTransfer = async ({ from, to, amountMinor }: TransferOrder): Promise<void> => {
      await client.call(transferV1, {
        idempotencyKey: `bench-svc-${newId()}`,
        fromUserId: from.userId,
        toUserId: to.userId,
        asset: BENCH_ASSET,
        amount: amountMinor.toString(),
      });
    };
    for (const { load, clients } of plan) {
      const result = await measure(options, clients, load, fixture.users, serviceTransfer);
      const drainStartedAt = performance.now();
      const outboxBacklog = await pendingOutbox(fixture);
      await drainOutbox(fixture);
      rows.push({ path: Paths.service, load, result, outboxBacklog, drainMs: Math.round(performance.now() - drainStartedAt) });
      log(describeRun(rows.at(-1) as RunRow));
    }

    const balance = await ledgerCheck(fixture);
    log(`ledger check: ${balance}`);
    process.stdout.write(`${table(rows, options)}\n`);
    process.stdout.write(`${JSON.stringify(summary(rows, options))}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

/** Uniform runs at every client count, then the hot run. */
function runPlan(options: LedgerBenchOptions): Array<{ load: LoadName; clients: number }> {
  return [...options.clients.map((clients) => ({ load: Loads.uniform, clients })), { load: Loads.hot, clients: options.hotClients }];
}

async function measure(
  options: LedgerBenchOptions,
  clients: number,
  load: LoadName,
  users: readonly BenchUser[],
  transfer: (order: TransferOrder) => Promise<void>,
): Promise<LoadResult> {
  const next = load === Loads.hot ? hotOrder : uniformOrder;
  return runLoad({ clients, warmupMs: options.warmupMs, durationMs: options.durationMs, operation: () => transfer(next(users)) });
}

/** Two different users drawn uniformly. */
function uniformOrder(users: readonly BenchUser[]): TransferOrder {
  const fromIndex = randomIndex(users.length);
  let toIndex = randomIndex(users.length - 1);
  if (toIndex >= fromIndex) toIndex += 1;
  return { from: users[fromIndex] as BenchUser, to: users[toIndex] as BenchUser, amountMinor: randomAmount() };
}

/** The first user and another one, the first paying or being paid with equal odds. */
function hotOrder(users: readonly BenchUser[]): TransferOrder {
  const hot = users[0] as BenchUser;
  const other = users[1 + randomIndex(users.length - 1)] as BenchUser;
  return Math.random() < 0.5 ? { from: hot, to: other, amountMinor: randomAmount() } : { from: other, to: hot, amountMinor: randomAmount() };
}

function randomIndex(length: number): number {
  return Math.floor(Math.random() * length);
}

function randomAmount(): bigint {
  return BigInt(1 + randomIndex(TRANSFER_AMOUNT_MAX));
}

async function pendingOutbox(fixture: LedgerFixture): Promise<number> {
  const [row] = await fixture.sql<Array<{ count: number }>>`select count(*)::int as count from outbox where published_at is null`;
  return row?.count ?? 0;
}

/** Waits until the service's relay has published everything, so the next run starts without a backlog. */
async function drainOutbox(fixture: LedgerFixture): Promise<void> {
  const deadline = performance.now() + OUTBOX_DRAIN_TIMEOUT_MS;
  for (;;) {
    const pending = await pendingOutbox(fixture);
    if (pending === 0) return;
    if (performance.now() > deadline) throw new Error(`the outbox still holds ${pending} unpublished rows after ${OUTBOX_DRAIN_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, OUTBOX_DRAIN_POLL_MS));
  }
}

/** The ledger sums to zero and no user account is below zero: the load moved money, it did not make or lose any. */
async function ledgerCheck(fixture: LedgerFixture): Promise<string> {
  const [row] = await fixture.sql<Array<{ debits: string; credits: string; negative: number; transfers: number }>>`
    select sum(debits_posted)::text as debits, sum(credits_posted)::text as credits,
      count(*) filter (where debits_must_not_exceed_credits and debits_posted + debits_pending > credits_posted)::int as negative,
      (select count(*)::int from transfers) as transfers
    from accounts`;
  if (row === undefined || row.debits !== row.credits || row.negative !== 0) {
    throw new Error(`the ledger does not balance after the load: ${JSON.stringify(row)}`);
  }
  return `balanced (${row.transfers} transfers, debits = credits = ${row.debits})`;
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function describeRun(row: RunRow): string {
  const { result } = row;
  const errors = Object.entries(result.errors).map(([code, count]) => `${code}×${count}`);
  const backlog = row.outboxBacklog === undefined ? '' : `, outbox backlog ${row.outboxBacklog} (drained in ${row.drainMs} ms)`;
  return (
    `${row.path} ${row.load} ×${result.clients}: ${result.tps.toFixed(1)} tps, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms` +
    `${errors.length > 0 ? `, errors ${errors.join(' ')}` : ''}${backlog}`
  );
}

function table(rows: readonly RunRow[], options: LedgerBenchOptions): string {
  const header = ['path', 'load', 'clients', 'tps', 'p50 ms', 'p99 ms', 'max ms', 'ok', 'errors', 'outbox left'];
  const lines = rows.map((row) => [
    row.path,
    row.load,
    String(row.result.clients),
    row.result.tps.toFixed(1),
    row.result.p50Ms.toFixed(2),
    row.result.p99Ms.toFixed(2),
    row.result.maxMs.toFixed(2),
    String(row.result.completed),
    String(Object.values(row.result.errors).reduce((sum, count) => sum + count, 0)),
    row.outboxBacklog === undefined ? '-' : String(row.outboxBacklog),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] as string).length)));
  const format = (cells: readonly string[]): string => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join('  ');
  const ratios = options.clients.map((clients) => {
    const ratio = ratioOf(rows, Loads.uniform, clients);
    return `×${clients} ${ratio === null ? 'n/a' : ratio.toFixed(2)}`;
  });
  const hotRatio = ratioOf(rows, Loads.hot, options.hotClients);
  return [
    `ledger transfer: ${options.users} users, ${options.warmupMs} ms warm-up + ${options.durationMs} ms measured per run`,
    format(header),
    format(header.map((_title, column) => '-'.repeat(widths[column] as number))),
    ...lines.map(format),
    `service/raw SQL throughput: ${ratios.join(', ')}, hot ×${options.hotClients} ${hotRatio === null ? 'n/a' : hotRatio.toFixed(2)}`,
  ].join('\n');
}

function findRun(rows: readonly RunRow[], path: PathName, load: LoadName, clients: number): LoadResult | undefined {
  return rows.find((row) => row.path === path && row.load === load && row.result.clients === clients)?.result;
}

function ratioOf(rows: readonly RunRow[], load: LoadName, clients: number): number | null {
  const service = findRun(rows, Paths.service, load, clients);
  const raw = findRun(rows, Paths.rawSql, load, clients);
  return service === undefined || raw === undefined || raw.tps === 0 ? null : service.tps / raw.tps;
}

const round = (value: number | undefined, digits: number): number | null =>
  value === undefined || !Number.isFinite(value) ? null : Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The machine-readable line: `<path>_tps_<clients>`, `<path>_p50_ms_<clients>`,
 * `<path>_p99_ms_<clients>` for each uniform run, `hot_<path>_tps` / `_p50_ms` / `_p99_ms` for the
 * hot run, and `ratio_<clients>` / `hot_ratio` (service ÷ raw SQL). Missing runs are null.
 */
function summary(rows: readonly RunRow[], options: LedgerBenchOptions): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  const figures = (prefix: string, suffix: string, result: LoadResult | undefined): void => {
    out[`${prefix}tps${suffix}`] = round(result?.tps, 1);
    out[`${prefix}p50_ms${suffix}`] = round(result?.p50Ms, 2);
    out[`${prefix}p99_ms${suffix}`] = round(result?.p99Ms, 2);
  };
  // The keys the acceptance criteria name come first; they are always present (null when not run).
  out['service_tps_32'] = round(findRun(rows, Paths.service, Loads.uniform, 32)?.tps, 1);
  out['raw_sql_tps_32'] = round(findRun(rows, Paths.rawSql, Loads.uniform, 32)?.tps, 1);
  out['ratio_32'] = round(ratioOf(rows, Loads.uniform, 32) ?? undefined, 3);
  out['service_p99_ms_32'] = round(findRun(rows, Paths.service, Loads.uniform, 32)?.p99Ms, 2);
  out['hot_service_tps'] = round(findRun(rows, Paths.service, Loads.hot, options.hotClients)?.tps, 1);
  out['hot_raw_sql_tps'] = round(findRun(rows, Paths.rawSql, Loads.hot, options.hotClients)?.tps, 1);
  for (const path of [Paths.service, Paths.rawSql]) {
    for (const clients of options.clients) figures(`${path}_`, `_${clients}`, findRun(rows, path, Loads.uniform, clients));
    figures(`hot_${path}_`, '', findRun(rows, path, Loads.hot, options.hotClients));
  }
  for (const clients of options.clients) out[`ratio_${clients}`] = round(ratioOf(rows, Loads.uniform, clients) ?? undefined, 3);
  out['hot_ratio'] = round(ratioOf(rows, Loads.hot, options.hotClients) ?? undefined, 3);
  out['hot_clients'] = options.hotClients;
  out['errors'] = rows.reduce((sum, row) => sum + Object.values(row.result.errors).reduce((inner, count) => inner + count, 0), 0);
  out['users'] = options.users;
  out['warmup_ms'] = options.warmupMs;
  out['duration_ms'] = options.durationMs;
  out['service_pool_size'] = options.servicePoolSize ?? 'default';
  return out;
}
