import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// ---------------------------------------------------------------------------------------------
// The service path measures the built bundle, as deployed. A bundle older than any source it is
// built from would measure yesterday's code, so the bench rebuilds it first in that case.
// ---------------------------------------------------------------------------------------------

/** Files walked at most when looking for the newest source; the workspace is far smaller. */
const SOURCE_FILES_MAX = 50_000;

/** Where the ledger's bundle and the migrations copied beside it live. */
export function ledgerBuildPaths(root: string): { distDir: string; bundle: string; migrationsFolder: string } {
  const distDir = join(root, 'dist', 'apps');
  return { distDir, bundle: join(distDir, 'ledger', 'main.js'), migrationsFolder: join(distDir, 'ledger', 'migrations') };
}

/**
 * Why the ledger bundle must be (re)built, or undefined when it is current: missing, missing its
 * migrations, or older than a source file of the app or of any workspace lib (the bundle inlines
 * the libs it imports; checking them all is cheaper than resolving which).
 */
export function ledgerBuildStaleness(root: string): string | undefined {
  const { bundle, migrationsFolder } = ledgerBuildPaths(root);
  if (!existsSync(bundle)) return `${bundle} is missing`;
  if (!existsSync(join(migrationsFolder, 'meta', '_journal.json'))) return `${migrationsFolder} is missing`;
  const builtAtMs = statSync(bundle).mtimeMs;
  const roots = [join(root, 'apps', 'ledger', 'src')];
  const libs = join(root, 'libs');
  for (const scope of readdirSync(libs)) {
    for (const type of readdirSync(join(libs, scope))) roots.push(join(libs, scope, type, 'src'));
  }
  let seen = 0;
  const walk = (directory: string): string | undefined => {
    if (!existsSync(directory)) return undefined;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      seen += 1;
      if (seen > SOURCE_FILES_MAX) throw new Error(`more than ${SOURCE_FILES_MAX} source files under ${root}; is node_modules inside a src folder?`);
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        const newer = walk(path);
        if (newer !== undefined) return newer;
      } else if (!entry.name.endsWith('.spec.ts') && statSync(path).mtimeMs > builtAtMs) {
        return `${path} is newer than the bundle`;
      }
    }
    return undefined;
  };
  for (const directory of roots) {
    const newer = walk(directory);
    if (newer !== undefined) return newer;
  }
  return undefined;
}

