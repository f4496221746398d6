import type { PgDatabase } from 'drizzle-orm/pg-core';
import { drizzle, type PostgresJsDatabase, type PostgresJsQueryResultHKT } from 'drizzle-orm/postgres-js';
import postgres, { type ParameterOrJSON, type Sql, type TransactionSql, type UnsafeQueryOptions } from 'postgres';
import { assertSchemaName } from './schema-name';
import { assertAtLeast, msToSeconds, withTimeout } from './timeout';

// ---------------------------------------------------------------------------------------------
// One connection pool per service schema, with drizzle on top.
// ---------------------------------------------------------------------------------------------

/** How a service connects to its own PostgreSQL schema. Every time limit is explicit. */
export interface DatabaseOptions {
  /** `postgres://user@host:5432/db`; never logged (it may carry a password). */
  readonly url: string;
  /** The service's schema (`sb_ledger`); every connection's `search_path` is this schema alone. */
  readonly schema: string;
  /** Shown in `pg_stat_activity`, so an operator sees which service holds a connection. */
  readonly applicationName: string;
  readonly poolSizeMax: number;
  /** Time to open one connection. */
  readonly connectTimeoutMs: number;
  /** Server-side limit on every statement (`statement_timeout`). */
  readonly statementTimeoutMs: number;
  /** Closes pooled connections idle this long; unset keeps them until `max_lifetime`. */
  readonly idleTimeoutMs?: number;
}

/** The transaction isolation levels this lib lets callers choose from, always explicitly. */
export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/**
 * What a repository needs to run queries: satisfied both by the drizzle database (`database.db`)
 * and by a transaction (`tx` inside `database.db.transaction`), whatever tables either was built
 * with. Nested transactions (`transaction`) and the relational `query` API are left out on purpose:
 * they depend on the table set, and a repository should not open a transaction of its own.
 */
export type DbExecutor = Pick<
  PgDatabase<PostgresJsQueryResultHKT>,
  'select' | 'selectDistinct' | 'selectDistinctOn' | 'insert' | 'update' | 'delete' | 'execute' | '$with' | 'with' | '$count'
>;

/** A service's connection to its schema: the raw postgres.js pool and drizzle over it. */
export interface Database<TTables extends Record<string, unknown>> {
  /** The postgres.js pool; for LISTEN, advisory locks and SQL drizzle cannot express. */
  readonly sql: Sql;
  readonly db: PostgresJsDatabase<TTables>;
  readonly schema: string;
  /** Resolves when PostgreSQL answers `select 1` within `timeoutMs`; throws otherwise. */
  ping(timeoutMs: number): Promise<void>;
  /** Lets running queries finish for up to `timeoutMs`, then closes every connection. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Any `Database`, whatever its tables: what the outbox relay and the inbox need. A
 * `Database<typeof ledgerSchema>` is assignable to it.
 */
export interface DatabaseHandle {
  readonly sql: Sql;
  readonly schema: string;
  readonly db: {
    transaction<T>(work: (tx: DbExecutor) => Promise<T>, config?: { isolationLevel?: IsolationLevel }): Promise<T>;
  };
}

/**
 * Notices (`schema already exists, skipping`) are expected noise; postgres.js would print them to
 * stdout, outside the structured log. Shared with the migrator; not part of the public API.
 */
export const ignoreNotice = (): undefined => undefined;

/**
 * postgres.js as drizzle should use it: every statement that has parameters is a named prepared
 * statement, cached per connection. drizzle sends each query through `unsafe(query, params,
 * { prepare: false })`; postgres.js then describes an unnamed statement before it can bind the
 * parameters (a second round trip) and PostgreSQL parses and plans it again on every execution.
 * Prepared, a repeated statement costs one round trip and no parse. The cache is bounded by the
 * query shapes in the code (values are parameters, never spliced in) and dies with the connection.
 * Queries without parameters stay on the simple protocol, where several statements may be sent
 * together. Transactions and savepoints hand out the same kind of client.
 */
function preparingClient<T extends Sql | TransactionSql>(client: T): T {
  return new Proxy(client, {
    get(target, property) {
      switch (property) {
        case 'unsafe':
          return (query: string, parameters: ParameterOrJSON<never>[] = [], options: UnsafeQueryOptions = {}) =>
            target.unsafe(query, parameters, { ...options, prepare: parameters.length > 0 });
        case 'begin':
        case 'savepoint':
          return (...args: unknown[]) => {
            const work = args.pop() as (transaction: TransactionSql) => unknown;
            const open = Reflect.get(target, property) as (...params: unknown[]) => Promise<unknown>;
            return open(...args, (transaction: TransactionSql) => work(preparingClient(transaction)));
          };
        default:
          return Reflect.get(target, property) as unknown;
      }
    },
  });
}

/**
 * Opens a pool whose every connection has `search_path` set to the service's schema, so the
 * unqualified tables of the service's drizzle schema resolve there. Connections open lazily: this
 * call does not touch the network (use `ping` for that).
 *
 * @example
 * const database = createDatabase({ url, schema: 'sb_ledger', applicationName: 'sb-ledger', poolSizeMax: 10,
 *   connectTimeoutMs: 5_000, statementTimeoutMs: 15_000 }, ledgerSchema);
 * await database.db.transaction((tx) => openUserAccounts(tx, input), { isolationLevel: 'read committed' });
 */
export function createDatabase<TTables extends Record<string, unknown>>(options: DatabaseOptions, tables: TTables): Database<TTables> {
  assertSchemaName(options.schema);
  assertAtLeast('poolSizeMax', options.poolSizeMax, 1);
  assertAtLeast('connectTimeoutMs', options.connectTimeoutMs, 1);
  assertAtLeast('statementTimeoutMs', options.statementTimeoutMs, 1);
  if (options.idleTimeoutMs !== undefined) assertAtLeast('idleTimeoutMs', options.idleTimeoutMs, 1);

  const sql = postgres(options.url, {
    max: options.poolSizeMax,
    connect_timeout: msToSeconds(options.connectTimeoutMs),
    ...(options.idleTimeoutMs === undefined ? {} : { idle_timeout: msToSeconds(options.idleTimeoutMs) }),
    onnotice: ignoreNotice,
    // No query of ours sends or reads PostgreSQL arrays, and postgres.js runs its array-type query
    // on every new connection without awaiting it: a connection reset during that query became an
    // unhandled rejection, which ends a Node process.
    fetch_types: false,
    connection: {
      application_name: options.applicationName,
      search_path: options.schema,
      statement_timeout: options.statementTimeoutMs,
    },
  });
  const db = drizzle(preparingClient(sql), { schema: tables });

  return {
    sql,
    db,
    schema: options.schema,
    async ping(timeoutMs) {
      await withTimeout(sql`select 1`.execute(), timeoutMs, 'ping');
    },
    async close(timeoutMs) {
      await sql.end({ timeout: msToSeconds(timeoutMs) });
    },
  };
}
