export * as notifySchema from './notify.schema';
export {
  broadcastsTable,
  deliveriesTable,
  notificationsTable,
  opsAlertsTable,
  pendingOperationsTable,
  recipientsTable,
  type BroadcastRow,
  type NotificationRow,
  type RecipientRow,
} from './notify.schema';
export { notifyMigrationsFolder } from './migrations';
export { findRecipient, recordDelivery, upsertRecipient } from './notify.repository';
