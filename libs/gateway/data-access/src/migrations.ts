import { fileURLToPath } from 'node:url';

/**
 * Folder of this service's drizzle-kit migrations. Resolved beside the calling module, which is
 * this file in the source tree and `dist/apps/bot-gateway/main.js` in a build (the build copies
 * the folder there).
 */
export const gatewayMigrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
