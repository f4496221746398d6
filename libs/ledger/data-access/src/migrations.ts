import { fileURLToPath } from 'node:url';

/** Folder of the ledger's migrations (source tree, or `dist/apps/ledger/migrations` in a build). */
export const ledgerMigrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));
