export * as gatewaySchema from './gateway.schema';
export { usersTable, type UserRow } from './gateway.schema';
export { gatewayMigrationsFolder } from './migrations';
export { registerUser, type RegisterUserInput, type RegisterUserResult } from './users.repository';
