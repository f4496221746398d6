import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type PubAck } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  depositConfirmedV1,
  depositRevertedV1,
  durableName,
  eventSubject,
  getBalanceV1,
  LedgerCommandErrors,
  openAccountV1,
  pgSchemaName,
  streamName,
  StreamBases,
  type CloudEvent,
  type CommandDefinition,
} from '@strongbox/shared-contracts';
import { newId } from '@strongbox/shared-domain';
import { checkInvariants } from '@strongbox/ledger-data-access';
import { CommandError, createCommandClient, type CommandClient } from '@strongbox/shared-messaging';
import { createServiceProcess, waitUntilReady, type ServiceProcess } from '@strongbox/shared-stack';
import { freePort, TEST_DATABASE_URL, TEST_NATS_URL, uniqueNamespace, waitFor } from '@strongbox/shared-testing';
import type { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// The ledger alone, as the real process built into dist/apps/ledger, in a fresh namespace: its
// own PostgreSQL schema (`<ns>_ledger`) and its own streams. Money enters the way it does in
// production, through `chain.evt.deposit.confirmed.v1` events on the chain stream; everything else
// goes through the typed command client.
// ---------------------------------------------------------------------------------------------

const distDir = fileURLToPath(new URL('../../../dist/apps', import.meta.url));

/** Lines of the ledger's own log attached to a failed balance read. */
const LOG_TAIL_LINES = 40;
/** How long the ledger may take to answer /readyz 200 after a (re)start. */
export const LEDGER_READY_TIMEOUT_MS = 60_000;
/** How long a command waits for its reply before the client reports it unavailable. */
const COMMAND_TIMEOUT_MS = 5_000;
/** The chain id the test deposits claim to come from (anvil's default). */
const TEST_CHAIN_ID = 31337;
const ASSET = 'USDT';

export type DepositConfirmed = CloudEvent<z.output<(typeof depositConfirmedV1)['schema']>>;
export type DepositReverted = CloudEvent<z.output<(typeof depositRevertedV1)['schema']>>;

/** An account row of the ledger's schema, amounts as bigint. */
export interface AccountTotals {
  readonly id: string;
  readonly userId: string | null;
  readonly kind: string;
  readonly debitsPosted: bigint;
  readonly creditsPosted: bigint;
  readonly debitsPending: bigint;
  readonly creditsPending: bigint;
}

export interface ReadyzAnswer {
  readonly status: number;
  readonly body: { status: string; checks: Record<string, { status: string; required: boolean; detail?: Record<string, unknown> }> };
}

export interface LedgerStack {
  readonly namespace: string;
  /** `<namespace>_ledger`. */
  readonly schema: string;
  readonly service: ServiceProcess;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly client: CommandClient;
  /** postgres.js on the ledger's database with `search_path` = the ledger's schema. */
  readonly sql: postgres.Sql;
  /** Opens a fresh user's accounts through `open-account` and returns the user id. */
  openUser(): Promise<string>;
  /** A `deposit confirmed` event for a new on-chain deposit (random tx hash), not yet published. */
  depositEvent(userId: string, amountMinor: bigint): DepositConfirmed;
  /** The `deposit reverted` event matching a confirmed one. */
  revertEvent(confirmed: DepositConfirmed, reason: string): DepositReverted;
  /** Publishes an event on its subject; `msgId` defaults to the event id (JetStream de-duplication). */
  publish(event: CloudEvent, msgId?: string): Promise<PubAck>;
  /** Publishes a new deposit and waits until the ledger has credited it; returns the event. */
  fund(userId: string, amountMinor: bigint): Promise<DepositConfirmed>;
  /** Waits until the deposit (by chain id, tx hash, log index) has the given state in the ledger. */
  waitForDeposit(event: DepositConfirmed, state: 'credited' | 'reverted', timeoutMs?: number): Promise<void>;
  /** The user's available balance through `get-balance`. */
  available(userId: string): Promise<bigint>;
  /** Account rows straight from the ledger's schema. */
  accounts(): Promise<AccountTotals[]>;
  /** Every violation of the ledger's four invariants, recomputed here in SQL (see below). */
  invariantViolations(): Promise<string[]>;
  /**
   * Waits for a run of the ledger's own reconciliation job that started after this call, and
   * returns its `ledger_invariant_violations` per invariant (needs a short LEDGER_RECONCILE_INTERVAL_MS).
   */
  reconciliation(timeoutMs?: number): Promise<Record<string, number>>;
  readyz(): Promise<ReadyzAnswer>;
  /** SIGKILLs the ledger, starts it again and waits until it serves commands; resolves with the ms that took. */
  killAndRestart(): Promise<number>;
  /** Stops the ledger and removes its schema and streams. */
  teardown(): Promise<void>;
}

export interface LedgerStackOptions {
  /**
   * A private PostgreSQL for the ledger (outage tests), thrown away with its server: teardown then
   * leaves the schema alone, as the server may well be down. The shared one by default.
   */
  readonly privateDatabaseUrl?: string;
  /** LEDGER_* and other variables for this instance. */
  readonly extraEnv?: Record<string, string>;
  /** Namespace prefix, so a leftover schema or stream names the file that made it. */
  readonly prefix?: string;
}

/**
 * Starts the built ledger in a fresh namespace against the shared NATS and the given (or shared)
 * PostgreSQL, and waits until it answers /readyz 200 and serves commands. Set E2E_VERBOSE to see
 * its log lines.
 *
 * @example
 * const ledger = await startLedgerStack({ extraEnv: { LEDGER_WITHDRAWAL_FEE_MINOR: '0' } });
 * afterAll(() => ledger.teardown());
 */
export async function startLedgerStack(options: LedgerStackOptions = {}): Promise<LedgerStack> {
  const namespace = uniqueNamespace(options.prefix ?? 'lge2e');
  const schema = pgSchemaName(namespace, 'ledger');
  const databaseUrl = options.privateDatabaseUrl ?? TEST_DATABASE_URL;
  const service = createServiceProcess({
    name: 'ledger',
    distDir,
    opsPort: await freePort(),
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'development',
      STRONGBOX_NAMESPACE: namespace,
      LOG_LEVEL: process.env['E2E_LOG_LEVEL'] ?? 'info',
      NATS_URL: TEST_NATS_URL,
      DATABASE_URL: databaseUrl,
      ...options.extraEnv,
    },
    ...(process.env['E2E_VERBOSE'] ? { onLine: (name: string, line: string) => console.log(`[${name}] ${line}`) } : {}),
  });
  const nc = await connect({ servers: TEST_NATS_URL });
  const js = jetstream(nc, { timeout: 5_000 });
  const jsm = await jetstreamManager(nc, { timeout: 5_000 });
  const client = createCommandClient(nc, { namespace, timeoutMs: COMMAND_TIMEOUT_MS });
  const sql = postgres(databaseUrl, { max: 4, connect_timeout: 5, onnotice: () => undefined, connection: { search_path: schema } });

  const depositState = async (event: DepositConfirmed): Promise<string | undefined> => {
    const [row] = await sql<Array<{ state: string }>>`
      select state from deposits where chain_id = ${event.data.chainId} and tx_hash = ${event.data.txHash} and log_index = ${event.data.logIndex}`;
    return row?.state;
  };

  const stack: LedgerStack = {
    namespace,
    schema,
    service,
    nc,
    js,
    jsm,
    client,
    sql,

    async openUser() {
      const userId = newId();
      await client.call(openAccountV1, { userId, assets: [ASSET] });
      return userId;
    },

    depositEvent(userId, amountMinor) {
      return depositConfirmedV1.create({
        source: 'strongbox/chain-watcher',
        subject: userId,
        data: {
          chainId: TEST_CHAIN_ID,
          txHash: randomHash(),
          logIndex: 0,
          userId,
          asset: ASSET,
          amount: amountMinor.toString(),
          toAddress: randomAddress(),
          fromAddress: randomAddress(),
          blockNumber: 1_000,
          blockHash: randomHash(),
          confirmations: 12,
        },
      });
    },

    revertEvent(confirmed, reason) {
      const { chainId, txHash, logIndex, userId, asset, amount } = confirmed.data;
      return depositRevertedV1.create({
        source: 'strongbox/chain-watcher',
        subject: userId,
        data: { chainId, txHash, logIndex, userId, asset, amount, reason },
      });
    },

    async publish(event, msgId) {
      return js.publish(eventSubject(namespace, event.type), JSON.stringify(event), { msgID: msgId ?? event.id });
    },

    async fund(userId, amountMinor) {
      const event = stack.depositEvent(userId, amountMinor);
      await stack.publish(event);
      await stack.waitForDeposit(event, 'credited');
      return event;
    },

    async waitForDeposit(event, state, timeoutMs = 20_000) {
      await waitFor(async () => (await depositState(event)) === state, {
        timeoutMs,
        intervalMs: 50,
        description: `deposit ${event.data.txHash} ${state}`,
      });
    },

    async available(userId) {
      try {
        return BigInt((await client.call(getBalanceV1, { userId, asset: ASSET })).available);
      } catch (error) {
        // A read that gets no answer is a finding: keep what the process said last with it.
        const tail = service.logs().slice(-LOG_TAIL_LINES).join('\n');
        throw new Error(`balance of ${userId}: ${error instanceof Error ? error.message : String(error)}\nledger log, last ${LOG_TAIL_LINES} lines:\n${tail}`, {
          cause: error,
        });
      }
    },

    async accounts() {
      const rows = await sql<
        Array<{ id: string; user_id: string | null; kind: string; debits_posted: string; credits_posted: string; debits_pending: string; credits_pending: string }>
      >`select id, user_id, kind, debits_posted::text, credits_posted::text, debits_pending::text, credits_pending::text from accounts where asset = ${ASSET}`;
      return rows.map((row) => ({
        id: row.id,
        userId: row.user_id,
        kind: row.kind,
        debitsPosted: BigInt(row.debits_posted),
        creditsPosted: BigInt(row.credits_posted),
        debitsPending: BigInt(row.debits_pending),
        creditsPending: BigInt(row.credits_pending),
      }));
    },

    async invariantViolations() {
      return invariantViolations(sql);
    },

    async reconciliation(timeoutMs = 20_000) {
      // The gauge is set when a run completes. A run that completes after the one in progress now
      // started after this call (runs never overlap), so it saw everything committed before it.
      const before = (await reconciliationMetrics(service.opsUrl)).lastSuccessS ?? 0;
      const first = await waitFor(
        async () => {
          const seen = (await reconciliationMetrics(service.opsUrl)).lastSuccessS;
          return seen !== undefined && seen > before ? seen : undefined;
        },
        { timeoutMs, intervalMs: 100, description: 'a reconciliation run of the ledger' },
      );
      const fresh = await waitFor(
        async () => {
          const metrics = await reconciliationMetrics(service.opsUrl);
          return metrics.lastSuccessS !== undefined && metrics.lastSuccessS > first ? metrics : undefined;
        },
        { timeoutMs, intervalMs: 100, description: 'a reconciliation run that started after the call' },
      );
      return fresh.violations;
    },

    async readyz() {
      const response = await fetch(`${service.opsUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
      return { status: response.status, body: (await response.json()) as ReadyzAnswer['body'] };
    },

    async killAndRestart() {
      const exit = await service.kill('SIGKILL');
      if (exit.signal !== 'SIGKILL') throw new Error(`the ledger ended with ${JSON.stringify(exit)} instead of being killed`);
      const startedAt = Date.now();
      service.start();
      await waitUntilServing(service, client);
      return Date.now() - startedAt;
    },

    async teardown() {
      // Every step runs even when an earlier one failed (a test that left PostgreSQL down must
      // still remove its streams); the first failure is reported at the end.
      const failures: unknown[] = [];
      const step = async (work: () => Promise<unknown>): Promise<void> => {
        await work().catch((error: unknown) => failures.push(error));
      };
      await step(() => service.stop(10_000));
      await step(() => nc.drain());
      if (options.privateDatabaseUrl === undefined) await step(() => sql.unsafe(`drop schema if exists "${schema}" cascade`));
      await step(() => sql.end({ timeout: 5 }));
      await step(() => deleteStreams(namespace));
      if (failures.length > 0) throw failures[0];
    },
  };

  service.start();
  try {
    await waitUntilServing(service, client);
  } catch (error) {
    await stack.teardown().catch(() => undefined);
    throw error;
  }
  return stack;
}

/**
 * Waits until the ledger answers /readyz 200 AND answers a command. /readyz alone is not enough:
 * the runtime's readiness holds no check until the service has connected to NATS and opened its
 * database, so it answers 200 from the moment the ops server listens, before the command routes are
 * subscribed. A `get-balance` of an unknown user answered with LEDGER_ERR_ACCOUNT_NOT_FOUND proves
 * the routes are up (and the consumers, which start before them).
 */
async function waitUntilServing(service: ServiceProcess, client: CommandClient): Promise<void> {
  const deadline = Date.now() + LEDGER_READY_TIMEOUT_MS;
  // A process that exits during start (a bad bundle, a refused config) fails the wait at once.
  let waiting = true;
  const exited = service.exited().then((exit) => {
    if (waiting) throw new Error(`the ledger exited while starting (${JSON.stringify(exit)}):\n${service.logs().slice(-30).join('\n')}`);
  });
  try {
    await Promise.race([waitUntilReady(service, LEDGER_READY_TIMEOUT_MS), exited]);
  } finally {
    waiting = false;
  }
  const probeUserId = newId();
  try {
    await waitFor(
      async () => {
        try {
          await client.call(getBalanceV1, { userId: probeUserId, asset: ASSET }, { timeoutMs: 2_000 });
          return true;
        } catch (error) {
          if (error instanceof CommandError && error.code === LedgerCommandErrors.accountNotFound) return true;
          return undefined;
        }
      },
      { timeoutMs: Math.max(deadline - Date.now(), 1), intervalMs: 25, description: 'the ledger answering commands' },
    );
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${service.logs().slice(-30).join('\n')}`, { cause: error });
  }
}

/** The durable through which the ledger credits confirmed deposits, as `[stream, durable]`. */
export function creditConsumer(namespace: string): [string, string] {
  return [streamName(namespace, StreamBases.chain), durableName('ledger', 'credit', 'deposit-confirmed')];
}

// ---------------------------------------------------------------------------------------------
// Callers that behave as the contract asks: retry a retryable answer with the SAME request (and
// so the same idempotency key) until the answer is definitive.
// ---------------------------------------------------------------------------------------------

export type Definitive<T> =
  | { readonly ok: true; readonly result: T; readonly attempts: number; readonly retryableCodes: readonly string[] }
  | { readonly ok: false; readonly error: CommandError; readonly attempts: number; readonly retryableCodes: readonly string[] };

/** First pause between retries, doubled per retry up to the maximum, with jitter: a crowd of callers turned away by an overloaded server must not come back in lockstep. */
const RETRY_DELAY_MS_INITIAL = 25;
const RETRY_DELAY_MS_MAX = 500;

/**
 * Calls `command` until the answer is definitive: a result, or a CommandError that is not
 * retryable. Retryable errors (no responders, timeouts, "in progress", "unavailable", "busy") are
 * retried with the same request after a jittered, growing pause, until `deadlineMs` from now; then
 * the last retryable error is thrown. Anything that is not a CommandError is thrown at once.
 */
export async function callUntilDefinitive<C extends CommandDefinition>(
  client: CommandClient,
  command: C,
  request: z.input<C['request']>,
  options: { deadlineMs: number; timeoutMs?: number },
): Promise<Definitive<z.output<C['response']>>> {
  const deadline = Date.now() + options.deadlineMs;
  const retryableCodes: string[] = [];
  for (let attempts = 1; ; attempts += 1) {
    try {
      const result = await client.call(command, request, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      return { ok: true, result, attempts, retryableCodes };
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      if (!error.retryable) return { ok: false, error, attempts, retryableCodes };
      retryableCodes.push(error.code);
      const delayMs = Math.min(RETRY_DELAY_MS_MAX, RETRY_DELAY_MS_INITIAL * 2 ** Math.min(attempts - 1, 10)) * (0.5 + Math.random() / 2);
      if (Date.now() + delayMs >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * The ledger's own four invariant checks (ledger-data-access) on one read-only snapshot; returns
 * `<invariant>: <detail>` per violation.
 */
export async function invariantViolations(sql: postgres.Sql): Promise<string[]> {
  return sql.begin('isolation level repeatable read read only', async (tx) => {
    const report = await checkInvariants(tx);
    return report.violations.map((violation) => `${violation.invariant}: ${violation.detail}`);
  });
}

/** The reconciliation gauges from the ledger's /metrics: violations per invariant and the last run (seconds). */
async function reconciliationMetrics(opsUrl: string): Promise<{ violations: Record<string, number>; lastSuccessS: number | undefined }> {
  const response = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
  const text = await response.text();
  const violations: Record<string, number> = {};
  for (const match of text.matchAll(/^ledger_invariant_violations\{invariant="([a-z_]+)"[^}]*\} (\S+)$/gm)) {
    violations[match[1]!] = Number(match[2]);
  }
  const last = /^ledger_reconciliation_last_success_timestamp_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text);
  return { violations, lastSuccessS: last ? Number(last[1]) : undefined };
}

// ---------------------------------------------------------------------------------------------

/** Deletes every stream of the namespace (`<NS>_*`). */
async function deleteStreams(namespace: string): Promise<void> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      // The namespace's streams, and the streams behind its KV buckets (`KV_<ns>_flags`).
      if (name.startsWith(`${namespace.toUpperCase()}_`) || name.startsWith(`KV_${namespace}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

function randomHash(): string {
  return `0x${randomBytes(32).toString('hex')}`;
}

function randomAddress(): string {
  return `0x${randomBytes(20).toString('hex')}`;
}
