export * as gatewaySchema from './gateway.schema';
export { usersTable, sessionsTable, buttonIntentsTable, type UserRow, type SessionRow, type ButtonIntentRow } from './gateway.schema';
export { gatewayMigrationsFolder } from './migrations';
export { registerUser, type RegisterUserInput, type RegisterUserResult } from './users.repository';
export {
  writeSessionVersion,
  readSession,
  readSessions,
  SESSION_READ_KEYS_MAX,
  listUnsyncedSessions,
  markSessionSynced,
  SESSION_SYNC_BATCH_MAX,
  type StoredSession,
} from './sessions.repository';
