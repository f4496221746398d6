import { DbError, DbErrorCodes } from './errors';

/**
 * A service schema name: a lower-case letter or `_` first, then lower-case letters, digits or `_`.
 * At most 56 characters, so the outbox channel `<schema>_outbox` stays within PostgreSQL's 63-byte
 * identifier limit. `pg_` is reserved by PostgreSQL. The name is spliced into SQL (always quoted)
 * and into NOTIFY channel names, so nothing else is accepted.
 */
const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,55}$/;

/** Throws DB_ERR_INVALID_SCHEMA_NAME unless `schema` is a plain identifier this lib can use. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME_PATTERN.test(schema) || schema.startsWith('pg_')) {
    throw new DbError(
      DbErrorCodes.invalidSchemaName,
      `schema name "${schema}" must match ${SCHEMA_NAME_PATTERN.source} and not start with pg_`,
    );
  }
}

/** The LISTEN/NOTIFY channel that wakes the outbox relay of one schema: `sb_ledger_outbox`. */
export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}

/**
 * Two-key advisory locks take an int4 class id and an int4 object id; Strongbox's class ids are
 * fixed here so they never collide with each other or with the single-bigint locks services take.
 * The object id is `hashtext(<schema>)`.
 */
export const AdvisoryLockClasses = {
  /** Held for the whole of a migration run, so replicas that start together migrate once. */
  migration: 0x5b_0001,
  /** Held for one relay batch transaction, so one relay at a time publishes a schema's outbox in order. */
  outboxPublisher: 0x5b_0002,
} as const;
