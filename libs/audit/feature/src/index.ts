export { startAdminAudit, type AdminAuditConfig } from './admin-audit.service';
