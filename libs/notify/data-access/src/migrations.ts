import { fileURLToPath } from 'node:url';

/** Folder of the notifier's migrations (source tree, or `dist/apps/notifier/migrations` in a build). */
export const notifyMigrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
