// Bundles each service into dist/apps/<service>/main.js with esbuild, and copies the migrations of
// the service's data-access lib and the shared locales beside it. Workspace libs (@strongbox/*) are compiled into the
// bundle; third-party packages stay external and load from node_modules at run time, so native
// and CommonJS packages behave exactly as under Node.
import { build, type Plugin } from 'esbuild';
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Each deployable service and the data-access lib whose migrations it applies at start. */
export const services = [
  { app: 'bot-gateway', scope: 'gateway' },
  { app: 'ledger', scope: 'ledger' },
  { app: 'chain-watcher', scope: 'chain' },
  { app: 'notifier', scope: 'notify' },
  { app: 'admin-audit', scope: 'audit' },
];

/** Keeps every bare import external except the workspace's own TypeScript libs. */
const externalThirdParty: Plugin = {
  name: 'external-third-party',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@strongbox/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

export async function buildServices(selected: readonly string[] = services.map((s) => s.app)): Promise<void> {
  await Promise.all(
    services
      .filter((s) => selected.includes(s.app))
      .map(async ({ app, scope }) => {
        const outDir = join(root, 'dist', 'apps', app);
        // Built beside the old bundle and swapped in at the end, so a service started meanwhile
        // (a running stack, a test) never finds its bundle missing or half written.
        const stagingDir = join(root, 'dist', 'apps', `.${app}.${process.pid}`);
        rmSync(stagingDir, { recursive: true, force: true });
        await build({
          entryPoints: [join(root, 'apps', app, 'src', 'main.ts')],
          outfile: join(stagingDir, 'main.js'),
          bundle: true,
          platform: 'node',
          format: 'esm',
          target: 'node22',
          sourcemap: true,
          logLevel: 'warning',
          plugins: [externalThirdParty],
        });
        const migrations = join(root, 'libs', scope, 'data-access', 'src', 'migrations');
        if (existsSync(migrations)) cpSync(migrations, join(stagingDir, 'migrations'), { recursive: true });
        // The shared Fluent locales, found beside main.js the same way (see shared-i18n).
        cpSync(join(root, 'libs', 'shared', 'i18n', 'src', 'locales'), join(stagingDir, 'locales'), { recursive: true });
        const retiredDir = `${stagingDir}.old`;
        if (existsSync(outDir)) renameSync(outDir, retiredDir);
        renameSync(stagingDir, outDir);
        rmSync(retiredDir, { recursive: true, force: true });
      }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const selected = process.argv.slice(2).length > 0 ? process.argv.slice(2) : services.map((s) => s.app);
  await buildServices(selected);
  console.log(`built ${selected.join(', ')} into dist/apps in ${Date.now() - started} ms`);
}
