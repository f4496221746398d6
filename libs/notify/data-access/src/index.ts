export * as notifySchema from './notify.schema';
export { deliveriesTable, recipientsTable, type RecipientRow } from './notify.schema';
export { notifyMigrationsFolder } from './migrations';
export { findRecipient, recordDelivery, upsertRecipient } from './notify.repository';
