export * as notifySchema from './notify.schema';
export {
  broadcastsTable,
  nodeStatusesTable,
  nodeStatusNoticesTable,
  notificationsTable,
  opsAlertsTable,
  pendingOperationsTable,
  recipientsTable,
  type BroadcastRow,
  type NotificationRow,
  type RecipientRow,
} from './notify.schema';
export { notifyMigrationsFolder } from './migrations';
export {
  enqueueNotifications,
  ENQUEUE_NOTIFICATIONS_MAX,
  NOTIFICATION_ENTITIES_MAX,
  NOTIFICATION_TEXT_LENGTH_MAX,
  NotificationErrorCodes,
  NotificationInputError,
  NotificationPriority,
  NotificationStates,
  type NotificationErrorCode,
  type NotificationInput,
  type NotificationPriorityValue,
  type NotificationState,
} from './notifications.repository';
export {
  claimNextNotification,
  countPendingByPriority,
  recordDeliveryOutcome,
  sweepStaleSending,
  type ClaimedNotification,
  type ClaimOptions,
  type ClaimResult,
  type DeliveryOutcome,
  type StaleSending,
} from './delivery.repository';
export {
  closePendingOperation,
  countReachableRecipients,
  existingNotificationIds,
  openPendingOperation,
  recipientOf,
  recipientsPage,
  recipientsWithPendingOperations,
  registerRecipient,
  updateRecipient,
} from './read-model.repository';
export {
  advanceBroadcast,
  broadcastOutcome,
  broadcastsIn,
  BroadcastStates,
  completeBroadcast,
  insertBroadcast,
  lockNextBroadcast,
  type BroadcastOutcome,
  type BroadcastTexts,
} from './broadcasts.repository';
export { decideOpsAlert, type OpsAlertDecision } from './ops-alerts.repository';
export { applyNodeStatus, markToldDown, markToldUp } from './node-status.repository';
