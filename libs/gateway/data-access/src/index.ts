export * as gatewaySchema from './gateway.schema';
export {
  usersTable,
  sessionsTable,
  buttonIntentsTable,
  supportRequestsTable,
  recoveryRequestsTable,
  type UserRow,
  type SessionRow,
  type ButtonIntentRow,
  type SupportRequestRow,
  type RecoveryRequestRow,
} from './gateway.schema';
export { gatewayMigrationsFolder } from './migrations';
export {
  registerUser,
  newReferralCode,
  findUserByTelegramId,
  findUserById,
  findUserByReferralCode,
  changeLanguage,
  setBlacklisted,
  setFiatCurrency,
  FIAT_CURRENCIES,
  type FiatCurrency,
  type RegisterUserInput,
  type RegisterUserResult,
} from './users.repository';
export { GatewayError, GatewayErrorCodes, type GatewayErrorCode } from './errors';
export { userText } from './text.rules';
export { supportRequestMachine } from './support.machine';
export {
  openSupportRequest,
  changeSupportStatus,
  listSupportRequests,
  SUPPORT_DESCRIPTION_LENGTH,
  SUPPORT_CONTACT_LENGTH,
  SUPPORT_REQUESTS_LISTED_MAX,
  type OpenSupportRequestInput,
  type ChangeSupportStatusInput,
} from './support.repository';
export { newRecoveryCode, normalizeRecoveryCode, hashRecoveryCode, RECOVERY_CODE_CHARACTERS } from './recovery.code';
export { issueRecoveryCode, requestRecovery, decideRecovery, type RequestRecoveryInput, type DecideRecoveryInput } from './recovery.repository';
export {
  writeSessionVersion,
  readSession,
  readSessions,
  SESSION_READ_KEYS_MAX,
  listUnsyncedSessions,
  markSessionSynced,
  SESSION_SYNC_BATCH_MAX,
  touchSessionsForCopy,
  purgeIdleSessions,
  SESSION_PURGE_CHUNK_MAX,
  type StoredSession,
} from './sessions.repository';
export {
  claimButtonIntent,
  findButtonIntent,
  recordButtonOutcome,
  releaseButtonIntent,
  purgeButtonIntents,
  BUTTON_INTENT_PURGE_CHUNK_MAX,
  type ButtonIntentClaim,
} from './button-intents.repository';
