import { startAdminAudit } from '@strongbox/audit-feature';
import { runService } from '@strongbox/shared-runtime';
import { adminAuditConfigSchema } from './config';

await runService(
  { service: 'admin-audit', configSchema: adminAuditConfigSchema, secretKeys: ['DATABASE_URL'], start: startAdminAudit },
  process.env,
);
