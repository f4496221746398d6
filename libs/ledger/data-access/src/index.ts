export * as ledgerSchema from './ledger.schema';
export { accountsTable, AccountKinds, type AccountKind, type AccountRow } from './ledger.schema';
export { ledgerMigrationsFolder } from './migrations';
export { listUserAccounts, openUserAccounts } from './accounts.repository';
