#!/usr/bin/env node
// `npm run db:generate [-- <drizzle-kit generate options>]`: runs `drizzle-kit generate` for every
// service's data-access lib that has a drizzle.config.ts, one after another, passing any extra
// arguments through (`npm run db:generate -- --name add-holds`). Exits 1 when any of them fails, after
// trying them all, so one broken schema does not hide the state of the others.
//
// drizzle-kit resolves the `schema` and `out` paths of a config against the working directory, and
// the data-access configs are written relative to their own lib (`./src/ledger.schema.ts`), so each
// run happens inside its lib's folder.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The workspace root: two levels above this file. */
export const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The config file drizzle-kit reads in each data-access lib. */
export const DRIZZLE_CONFIG_FILE = 'drizzle.config.ts';

/** One drizzle-kit run may take this long; generating never needs a database, only the schema files. */
export const DRIZZLE_KIT_TIMEOUT_MS = 120_000;

/**
 * Every `libs/<scope>/data-access` folder holding a drizzle.config.ts, sorted by path.
 *
 * @param {string} [root]
 * @returns {{ name: string, dir: string, config: string }[]}
 */
export function findDrizzleProjects(root = workspaceRoot) {
  const libs = join(root, 'libs');
  return readdirSync(libs, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(libs, entry.name, 'data-access'))
    .filter((dir) => existsSync(join(dir, DRIZZLE_CONFIG_FILE)))
    .sort()
    .map((dir) => ({ name: relative(root, dir), dir, config: join(dir, DRIZZLE_CONFIG_FILE) }));
}

/**
 * drizzle-kit's command-line entry. Its package does not export `bin.cjs`, so it is found beside
 * the package's main module.
 *
 * @param {string} [root]
 */
export function drizzleKitBin(root = workspaceRoot) {
  const main = createRequire(join(root, 'package.json')).resolve('drizzle-kit');
  return join(dirname(main), 'bin.cjs');
}

/**
 * Runs drizzle-kit with `args` inside `cwd` and waits for it. Its stderr is always captured (and,
 * with `stdio: 'inherit'`, echoed afterwards), because drizzle-kit exits 0 even when loading the
 * schema throws: the error text on stderr is the only sign. See drizzleKitFailure.
 *
 * @param {string} cwd
 * @param {readonly string[]} args
 * @param {{ root?: string, stdio?: 'inherit' | 'pipe', timeoutMs?: number }} [options]
 * @returns {import('node:child_process').SpawnSyncReturns<string>}
 */
export function runDrizzleKit(cwd, args, options = {}) {
  const interactive = (options.stdio ?? 'inherit') === 'inherit';
  const result = spawnSync(process.execPath, [drizzleKitBin(options.root), ...args], {
    cwd,
    encoding: 'utf8',
    // Prompts (a rename drizzle-kit cannot decide alone) need the terminal when run by hand.
    stdio: interactive ? ['inherit', 'inherit', 'pipe'] : 'pipe',
    timeout: options.timeoutMs ?? DRIZZLE_KIT_TIMEOUT_MS,
  });
  if (interactive && result.stderr) process.stderr.write(result.stderr);
  return result;
}

/** An error line as drizzle-kit or Node print it: `Error  No schema files…`, `Error: boom`, `TypeError: …`. */
const ERROR_LINE_PATTERN = /^\s*(?:[A-Za-z]*Error\b|error\b)/m;

/**
 * Why a drizzle-kit run failed, or null when it succeeded: it could not start, timed out, exited
 * non-zero, or exited 0 with an error on stderr.
 *
 * @param {import('node:child_process').SpawnSyncReturns<string>} result
 * @returns {string | null}
 */
export function drizzleKitFailure(result) {
  if (result.error !== undefined) return result.error.message;
  if (result.signal !== null) return `killed by ${result.signal}`;
  if (result.status !== 0) return `exit code ${result.status}`;
  const stderr = result.stderr ?? '';
  if (ERROR_LINE_PATTERN.test(stderr)) {
    const line = stderr.split('\n').find((text) => ERROR_LINE_PATTERN.test(text)) ?? '';
    return `error on stderr: ${line.trim().slice(0, 200)}`;
  }
  return null;
}

/**
 * Generates migrations for every project; returns the names of those that failed.
 *
 * @param {readonly string[]} extraArgs
 * @param {string} [root]
 */
export function generateAll(extraArgs, root = workspaceRoot) {
  const projects = findDrizzleProjects(root);
  if (projects.length === 0) throw new Error(`no libs/*/data-access/${DRIZZLE_CONFIG_FILE} found under ${root}`);
  const failed = [];
  for (const project of projects) {
    console.log(`\n── ${project.name}`);
    const failure = drizzleKitFailure(runDrizzleKit(project.dir, ['generate', '--config', DRIZZLE_CONFIG_FILE, ...extraArgs], { root }));
    if (failure !== null) {
      console.error(`✗ ${project.name}: drizzle-kit generate failed (${failure})`);
      failed.push(project.name);
    }
  }
  return failed;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  try {
    const failed = generateAll(process.argv.slice(2));
    if (failed.length > 0) {
      console.error(`\ndrizzle-kit generate failed for: ${failed.join(', ')}`);
      process.exitCode = 1;
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
