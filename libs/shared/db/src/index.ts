export {
  createDatabase,
  type Database,
  type DatabaseHandle,
  type DatabaseOptions,
  type DbExecutor,
  type IsolationLevel,
} from './database';
export { classifyDbError, DbError, DbErrorCodes, DbFailureKinds, sqlStateOf, type DbErrorCode, type DbFailureKind } from './errors';
export { dropSchema, migrate, MIGRATIONS_TABLE, type MigrateOptions } from './migrate';
export { assertSchemaName, outboxChannel } from './schema-name';
export { outboxTable, type OutboxRow } from './outbox.schema';
export { inboxTable, type InboxRow } from './inbox.schema';
export { idempotencyKeysTable, IdempotencyStates, type IdempotencyKeyRow, type IdempotencyState } from './idempotency.schema';
export { enqueueEvents, ENQUEUE_MESSAGES_MAX, type OutboxMessage } from './outbox.writer';
export { createOutboxRelay, type OutboxPublish, type OutboxRelay, type OutboxRelayOptions } from './outbox.relay';
export { PURGE_CHUNK_SIZE_MAX, PURGE_CHUNKS_MAX, type PurgeLimits } from './purge';
export { processOnce, purgeInbox, type ProcessOnceOptions, type ProcessOnceResult } from './inbox.process';
export {
  claimIdempotencyKeys,
  executeIdempotent,
  storeIdempotentResponses,
  IDEMPOTENCY_KEYS_PER_CALL_MAX,
  purgeIdempotencyKeys,
  requestHash,
  IDEMPOTENCY_RETENTION_MS_MIN,
  IDEMPOTENCY_SCOPE_PATTERN,
  IDEMPOTENCY_WAIT_TIMEOUT_MS_DEFAULT,
  IDEMPOTENCY_WAIT_TIMEOUT_MS_MAX,
  IDEMPOTENT_RESPONSE_BYTES_MAX,
  type ExecuteIdempotentOptions,
  type IdempotentResult,
} from './idempotency';
