#!/usr/bin/env node
// `npm start`: runs the whole Strongbox stack on this machine. Plain JavaScript for any Node >= 16:
// it first makes sure a Node >= 22.12 is there (bootstrapping Node 24 from the npm registry when the
// machine's is older) and that dependencies are installed, then hands over to the TypeScript
// launcher (tools/dev/run-stack.ts) under that Node.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodeDir = execFileSync(process.execPath, [join(root, 'tools', 'node', 'ensure-node.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const env = { ...process.env, PATH: `${nodeDir}:${process.env.PATH ?? ''}` };

const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log('installing dependencies (npm ci)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, env, stdio: 'inherit' });
}

const child = spawn(join(nodeDir, 'node'), ['--import', 'tsx', join(root, 'tools', 'dev', 'run-stack.ts'), ...process.argv.slice(2)], {
  cwd: root,
  env,
  stdio: 'inherit',
});
// Ctrl-C reaches the whole foreground process group; the launcher handles it and exits itself.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
// `npm start` runs this file under `sh -c`, which does not pass SIGTERM on: when npm is told to stop,
// this process is orphaned instead. Treat losing the parent as the signal to stop everything.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) child.kill('SIGTERM');
}, 500).unref();
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
