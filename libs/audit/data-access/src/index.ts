export * as auditSchema from './audit.schema';
export { auditLogTable, type AuditLogRow } from './audit.schema';
export { auditMigrationsFolder } from './migrations';
export { appendAuditEvent, canonicalJson, chainHash, GENESIS_HASH, verifyAuditChain, type ChainVerification } from './audit-log.repository';
