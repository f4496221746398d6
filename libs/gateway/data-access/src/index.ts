export * as gatewaySchema from './gateway.schema';
export { usersTable, sessionsTable, buttonIntentsTable, type UserRow, type SessionRow, type ButtonIntentRow } from './gateway.schema';
export { gatewayMigrationsFolder } from './migrations';
export { registerUser, type RegisterUserInput, type RegisterUserResult } from './users.repository';
