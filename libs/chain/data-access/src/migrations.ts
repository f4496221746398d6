import { fileURLToPath } from 'node:url';

/** Folder of chain-watcher's migrations (source tree, or `dist/apps/chain-watcher/migrations` in a build). */
export const chainMigrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
