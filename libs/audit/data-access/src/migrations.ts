import { fileURLToPath } from 'node:url';

/** Folder of admin-audit's migrations (source tree, or `dist/apps/admin-audit/migrations` in a build). */
export const auditMigrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
